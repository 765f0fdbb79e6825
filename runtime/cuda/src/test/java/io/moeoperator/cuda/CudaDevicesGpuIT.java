package io.moeoperator.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Profile gpu only (./mvnw verify -Pgpu -pl runtime/cuda): on a GPU machine the probe must find it. */
class CudaDevicesGpuIT {
    @Test
    void findsTheGpu() throws Exception {
        List<CudaDevice> devices = CudaDevices.probe();
        assertFalse(devices.isEmpty());
        System.out.println(devices);
        assertTrue(devices.getFirst().computeMajor() >= 8, "sm_80 or newer: " + devices.getFirst());
    }
}
