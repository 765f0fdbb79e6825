package io.moeoperator.server.model.hub;

import io.moeoperator.server.model.ModelLoadException;

/**
 * Downloaded bytes are not the file the hub lists (size or hash): the partial or whole local copy
 * is deleted before this is thrown, so the next start downloads it afresh.
 */
public class HubIntegrityException extends ModelLoadException {
    public HubIntegrityException(String message) {
        super(message);
    }
}
