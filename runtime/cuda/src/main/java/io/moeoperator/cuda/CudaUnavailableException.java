package io.moeoperator.cuda;

/** No usable NVIDIA GPU: the message says what is missing (libraries, driver, device) in a user's words. */
public final class CudaUnavailableException extends Exception {
    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
