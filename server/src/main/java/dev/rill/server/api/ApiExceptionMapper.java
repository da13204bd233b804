package dev.rill.server.api;

import dev.rill.server.config.RillConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.UUID;

/**
 * Every error of the HTTP API in the OpenAI error shape: an {@link ApiException} with its status
 * (429 with Retry-After); what Quarkus REST refuses itself (404, 405, 406, 415) with its status; and
 * anything unexpected as a 500 that names no Java class and holds no stack trace, with an id that
 * the server's log has beside the stack trace.
 */
public class ApiExceptionMapper {

    private static final Logger LOG = Logger.getLogger(ApiExceptionMapper.class);

    @Inject
    RillConfig config;

    @ServerExceptionMapper
    public Response map(ApiException e) {
        Response.ResponseBuilder r = Response.status(e.status()).type(MediaType.APPLICATION_JSON).entity(ErrorBody.of(e));
        if (e.status() == 429) r.header("Retry-After", Integer.toString(config.generation().retryAfter()));
        if (e.status() == 503) r.header("Retry-After", "5");
        return r.build();
    }

    @ServerExceptionMapper
    public Response map(WebApplicationException e) {
        Response.StatusType status = e.getResponse().getStatusInfo();
        String code = status.getReasonPhrase().toLowerCase(java.util.Locale.ROOT).replace(' ', '_');
        return map(new ApiException(status.getStatusCode(), code, null, status.getStatusCode() + " " + status.getReasonPhrase()));
    }

    @ServerExceptionMapper
    public Response map(RuntimeException e) {
        return map(internal(e, LOG));
    }

    /** An unexpected failure, logged with its stack trace under an id; the client gets the id only. */
    public static ApiException internal(Throwable e, Logger log) {
        String id = UUID.randomUUID().toString().substring(0, 8);
        log.errorf(e, "internal error %s", id);
        return new ApiException(500, "internal_error", null, "internal error " + id + " (the server's log has the details)");
    }
}
