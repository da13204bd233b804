package dev.rill.server.api;

import dev.rill.server.config.RillConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every {@link ApiException} of the HTTP API as its status and the OpenAI error shape; 429 with Retry-After. */
public class ApiExceptionMapper {

    @Inject
    RillConfig config;

    @ServerExceptionMapper
    public Response map(ApiException e) {
        Response.ResponseBuilder r = Response.status(e.status()).type(MediaType.APPLICATION_JSON).entity(ErrorBody.of(e));
        if (e.status() == 429) r.header("Retry-After", Integer.toString(config.generation().retryAfter()));
        if (e.status() == 503) r.header("Retry-After", "5");
        return r.build();
    }
}
