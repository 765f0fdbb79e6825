package io.moeoperator.cuda;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;

/**
 * Finds the GPUs through the CUDA runtime. Touches the native libraries only when called, so a
 * CPU-only process never loads them; every way of failing (libraries not installed, no driver, a
 * driver older than CUDA 13, no device) becomes a {@link CudaUnavailableException} naming what is
 * missing, never a JVM crash or a bare UnsatisfiedLinkError.
 */
public final class CudaDevices {
    /** cudaError_t values that mean "this machine cannot run CUDA" rather than a programming error. */
    static final int NO_DEVICE = 100, INSUFFICIENT_DRIVER = 35, NO_DRIVER_FOUND = 3;

    private CudaDevices() {}

    /** @return at least one device */
    public static List<CudaDevice> probe() throws CudaUnavailableException {
        try {
            Loader.load(cudart.class);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            throw new CudaUnavailableException("the CUDA 13 runtime libraries (libcudart.so.13, from the NVIDIA CUDA "
                    + "toolkit or an nvidia/cuda runtime image) and the NVIDIA driver (libcuda.so.1) are needed, "
                    + "and could not be loaded: " + rootMessage(e), e);
        }
        int[] count = new int[1];
        int error = cudart.cudaGetDeviceCount(count);
        if (error != 0) {
            String what = switch (error) {
                case NO_DEVICE -> "no NVIDIA GPU is visible (on Kubernetes: request nvidia.com/gpu)";
                case INSUFFICIENT_DRIVER -> "the NVIDIA driver is older than CUDA 13 needs (580 or later)";
                default -> "the CUDA runtime cannot start";
            };
            throw new CudaUnavailableException(what + ": " + cudart.cudaGetErrorString(error).getString()
                    + " (cudaError " + error + ")", null);
        }
        if (count[0] == 0) throw new CudaUnavailableException("no NVIDIA GPU is visible (on Kubernetes: request nvidia.com/gpu)", null);
        List<CudaDevice> devices = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            try (cudaDeviceProp props = new cudaDeviceProp()) {
                int e = cudart.cudaGetDeviceProperties(props, i);
                if (e != 0) {
                    throw new CudaUnavailableException("cannot read GPU " + i + ": " + cudart.cudaGetErrorString(e).getString(), null);
                }
                devices.add(new CudaDevice(i, props.name().getString(), props.totalGlobalMem(), props.major(), props.minor()));
            }
        }
        return devices;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) t = t.getCause();
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
}
