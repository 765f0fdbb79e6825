package io.moeoperator.server.api;

import io.moeoperator.server.model.ServedModel;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** GET /v1/models: the one model this server serves. */
@Path("/v1/models")
public class ModelsResource {
    private final ServedModel model;

    ModelsResource(ServedModel model) {
        this.model = model;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public ModelList list() {
        return ModelList.of(new ModelList.Model(model.id(), "model", model.createdEpochSeconds(), "moe-operator",
                model.contextLength()));
    }
}
