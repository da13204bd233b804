package dev.rill.server.api;

import io.quarkus.arc.Arc;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The HTTP API answers in the OpenAI error shape even where no endpoint is: a path under {@code /v1}
 * or {@code /api} that no endpoint serves gets a JSON 404 (not the default HTML page), a method an
 * endpoint does not take a JSON 405 with {@code Allow}.
 */
@ApplicationScoped
public class UnknownPaths {

    private volatile Map<Pattern, Set<String>> endpoints;

    /** The last route under the API's prefixes: reached only when nothing else served the request. */
    void install(@Observes Router router) {
        router.route("/v1/*").last().handler(UnknownPaths::notFound);
        router.route("/api/*").last().handler(UnknownPaths::notFound);
    }

    private static void notFound(RoutingContext ctx) {
        ApiException e = new ApiException(404, "unknown_path", null, "no endpoint " + ctx.request().method() + " " + ctx.request().path()
                + "; see /q/openapi for the API");
        ctx.response().setStatusCode(404).putHeader("Content-Type", MediaType.APPLICATION_JSON).end(Json.encode(ErrorBody.of(e)));
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException ex, HttpServerRequest request) {
        String allow = String.join(", ", allowed(request.path()));
        ApiException e = new ApiException(405, "method_not_allowed", null, request.path() + " does not take " + request.method()
                + (allow.isEmpty() ? "" : "; it takes " + allow));
        Response.ResponseBuilder r = Response.status(405).type(MediaType.APPLICATION_JSON).entity(ErrorBody.of(e));
        if (!allow.isEmpty()) r.header("Allow", allow);
        return r.build();
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException ex, HttpServerRequest request) {
        ApiException e = new ApiException(404, "unknown_path", null, "no endpoint " + request.method() + " " + request.path()
                + "; see /q/openapi for the API");
        return Response.status(404).type(MediaType.APPLICATION_JSON).entity(ErrorBody.of(e)).build();
    }

    /** The HTTP methods the endpoints take at {@code path}, read once from the JAX-RS resources (which are all beans). */
    private Set<String> allowed(String path) {
        if (endpoints == null) {
            Map<Pattern, Set<String>> map = new LinkedHashMap<>();
            for (var bean : Arc.container().beanManager().getBeans(Object.class)) {
                Class<?> c = bean.getBeanClass();
                Path root = c.getAnnotation(Path.class);
                if (root == null) continue;
                for (Method m : c.getMethods()) {
                    String verb = null;
                    for (Annotation a : m.getAnnotations()) {
                        HttpMethod h = a.annotationType().getAnnotation(HttpMethod.class);
                        if (h != null) verb = h.value();
                    }
                    if (verb == null) continue;
                    Path sub = m.getAnnotation(Path.class);
                    String template = ("/" + root.value() + (sub == null ? "" : "/" + sub.value())).replaceAll("/+", "/").replaceAll("(.)/$", "$1");
                    // {param} matches one segment; the rest literally.
                    String regex = Pattern.quote(template).replaceAll("\\{[^}/]+}", "\\\\E[^/]+\\\\Q");
                    map.computeIfAbsent(Pattern.compile(regex), k -> new TreeSet<>()).add(verb);
                }
            }
            endpoints = map;
        }
        Set<String> out = new TreeSet<>();
        endpoints.forEach((p, verbs) -> {
            if (p.matcher(path).matches()) out.addAll(verbs);
        });
        return out;
    }
}
