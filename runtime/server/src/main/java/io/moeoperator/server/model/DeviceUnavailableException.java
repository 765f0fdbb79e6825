package io.moeoperator.server.model;

import io.quarkus.runtime.configuration.ConfigurationException;
import java.util.Set;

/** The device asked for cannot be used; Quarkus stops start-up printing just this message. */
public class DeviceUnavailableException extends ConfigurationException {
    public DeviceUnavailableException(String message) {
        super(message, Set.of("moe.device"));
    }
}
