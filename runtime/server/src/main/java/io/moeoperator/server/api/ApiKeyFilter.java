package io.moeoperator.server.api;

import io.moeoperator.server.config.ServerConfig;
import jakarta.ws.rs.container.ContainerRequestContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * When an API key is configured, every {@code /v1/} request must send
 * {@code Authorization: Bearer <key>}; health and metrics stay open for probes and scrapers.
 * Runs before routing, so an unauthenticated client learns nothing about which paths exist.
 */
public class ApiKeyFilter {
    private static final String BEARER = "Bearer ";

    private final Optional<byte[]> expected;

    ApiKeyFilter(ServerConfig config) {
        this.expected = config.apiKey().filter(k -> !k.isEmpty()).map(k -> k.getBytes(StandardCharsets.UTF_8));
    }

    @ServerRequestFilter(preMatching = true)
    public void requireKey(ContainerRequestContext request) {
        if (expected.isEmpty() || !request.getUriInfo().getPath().startsWith("/v1/")) {
            return;
        }
        String header = request.getHeaderString("Authorization");
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw ApiException.unauthorized("missing API key: send the header 'Authorization: Bearer <key>'");
        }
        byte[] given = header.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
        // Constant-time comparison: response timing does not reveal how much of a guess was right.
        if (!MessageDigest.isEqual(given, expected.get())) {
            throw ApiException.unauthorized("incorrect API key");
        }
    }
}
