package io.moeoperator.server.api;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The generation endpoints answer with JSON or with server-sent events according to the body's
 * {@code "stream"} field, as OpenAI's do, so the client's Accept header cannot change the answer.
 * JAX-RS would still match Accept against one fixed {@code @Produces} and refuse with 406; clients
 * send {@code Accept: text/event-stream} or {@code application/json} depending on the call, so
 * Accept is set aside for these two endpoints before matching.
 */
public class StreamOrDocumentAccept {

    @ServerRequestFilter(preMatching = true)
    public void acceptEither(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (HttpMethod.POST.equals(request.getMethod())
                && (path.equals("/v1/completions") || path.equals("/v1/chat/completions"))) {
            request.getHeaders().putSingle("Accept", "*/*");
        }
    }
}
