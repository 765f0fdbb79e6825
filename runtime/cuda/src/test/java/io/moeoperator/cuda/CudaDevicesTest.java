package io.moeoperator.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs anywhere: on a machine without a GPU the probe must fail with words, not a crash. */
class CudaDevicesTest {
    @Test
    void eitherFindsDevicesOrSaysWhatIsMissing() {
        try {
            List<CudaDevice> devices = CudaDevices.probe();
            assertFalse(devices.isEmpty());
            devices.forEach(d -> assertTrue(d.totalMemoryBytes() > 0 && !d.name().isBlank(), d.toString()));
        } catch (CudaUnavailableException e) {
            assertTrue(e.getMessage().contains("CUDA") || e.getMessage().contains("GPU"), e.getMessage());
        }
    }
}
