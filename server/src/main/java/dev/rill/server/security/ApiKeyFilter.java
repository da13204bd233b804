package dev.rill.server.security;

import dev.rill.server.api.ApiException;
import dev.rill.server.api.ErrorBody;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * With API keys configured, {@code /v1/*} and {@code /api/*} need {@code Authorization: Bearer KEY};
 * otherwise 401 in the OpenAI error shape. Health, metrics, OpenAPI and the web page stay open.
 */
public class ApiKeyFilter {

    @Inject
    ApiKeys keys;

    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        if (!keys.enabled()) return null;
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/v1/") && !path.equals("/v1") && !path.startsWith("/api/")) return null;
        String presented = ApiKeys.fromAuthorization(request.getHeaderString(HttpHeaders.AUTHORIZATION));
        if (keys.accepts(presented)) return null;
        ApiException e = new ApiException(401, "invalid_api_key", null, presented == null
                ? "an API key is required: send 'Authorization: Bearer <key>'"
                : "the API key is not valid");
        return Response.status(401).type(MediaType.APPLICATION_JSON).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .entity(ErrorBody.of(e)).build();
    }
}
