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
 * With admin keys configured, {@code /api/train} and everything under it need
 * {@code Authorization: Bearer ADMIN_KEY}: 401 without a key or with an unknown one, 403 with a key
 * that may only chat.
 */
public class AdminKeyFilter {

    /** Where training lives: guarded by admin keys. */
    public static final String TRAIN_API = "/api/train", TRAIN_SOCKET = "/ws/train";
    /** Where training data is uploaded: a file as the body, not JSON, with its own size limit. */
    public static final String TRAIN_FILES = TRAIN_API + "/files";

    @Inject
    ApiKeys keys;

    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!isTraining(path)) return null;
        ApiException refused = refusal(keys, ApiKeys.fromAuthorization(request.getHeaderString(HttpHeaders.AUTHORIZATION)));
        if (refused == null) return null;
        return Response.status(refused.status()).type(MediaType.APPLICATION_JSON).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .entity(ErrorBody.of(refused)).build();
    }

    public static boolean isTraining(String path) {
        return path.equals(TRAIN_API) || path.startsWith(TRAIN_API + "/") || path.equals(TRAIN_SOCKET);
    }

    /** Why a training request with this key is refused, or {@code null} when it may go on. */
    public static ApiException refusal(ApiKeys keys, String presented) {
        if (!keys.adminEnabled() || keys.acceptsAdmin(presented)) return null;
        if (presented == null) {
            return new ApiException(401, "admin_key_required", null, "training needs an admin key: send 'Authorization: Bearer <admin key>' (one of rill.admin-keys)");
        }
        if (keys.accepts(presented)) {
            return new ApiException(403, "admin_key_required", null, "this API key may chat but not train: training needs an admin key (one of rill.admin-keys)");
        }
        return new ApiException(401, "invalid_api_key", null, "the key is not valid; training needs an admin key (one of rill.admin-keys)");
    }
}
