package dev.rill.server.train;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rill.server.api.ApiException;
import dev.rill.server.api.JsonInput;
import dev.rill.train.TrainingEvent;
import dev.rill.train.TrainingJobs;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * {@code /api/train}: start a training job, list jobs, follow one (JSON or Server-Sent Events),
 * cancel it. Uploads are {@code POST /api/train/files} ({@link UploadRoute}).
 */
@Path("/api/train")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Training")
public class TrainResource {

    @Inject
    TrainService training;

    @POST
    @Operation(summary = "Start a training job (queued when others run); 201 with the job")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TrainRequest.class)))
    public Response start(String body) {
        if (body == null || body.isBlank()) throw ApiException.invalid(null, "the request has no body; send a JSON object with at least 'data'");
        TrainRequest request = JsonInput.bind(JsonInput.STRICT, JsonInput.parseObject(body), TrainRequest.class);
        TrainingJobs.Job job = training.start(request);
        return Response.created(URI.create("/api/train/" + job.id())).entity(TrainJson.job(job, false)).build();
    }

    @GET
    @Operation(summary = "Every training job since the server started, oldest first")
    public ArrayNode list() {
        ArrayNode out = TrainJson.JSON.createArrayNode();
        for (TrainingJobs.Job j : training.jobs().all()) out.add(TrainJson.job(j, false));
        return out;
    }

    @GET
    @Path("/files")
    @Operation(summary = "The files a job may train on: .txt and .jsonl files of the data folder, and uploads")
    public java.util.List<TrainService.DataFile> files() {
        return training.files();
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "A job with its loss curves and latest samples")
    public ObjectNode get(@PathParam("id") String id) {
        return TrainJson.job(job(id), true);
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Cancel a job: a queued one never starts, a running one stops before its next step")
    public ObjectNode cancel(@PathParam("id") String id) {
        TrainingJobs.Job job = job(id);
        if (!training.jobs().cancel(id)) {
            throw new ApiException(409, "job_finished", null, "job " + id + " has already finished (" + TrainJson.name(job.state()) + ")");
        }
        return TrainJson.job(job, false);
    }

    @GET
    @Path("/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "The job as Server-Sent Events: 'job' (where it stands), then 'progress', 'eval', 'sample', 'checkpoint' and 'state' until it ends")
    public Multi<OutboundSseEvent> events(@PathParam("id") String id, @Context Sse sse) {
        TrainingJobs.Job job = job(id);
        OutboundSseEvent first = sse.newEventBuilder().name("job").mediaType(MediaType.APPLICATION_JSON_TYPE)
                .data(TrainJson.job(job, true).toString()).build();
        if (job.state().finished()) return Multi.createFrom().item(first);
        Multi<OutboundSseEvent> live = Multi.createFrom().emitter(emitter -> {
            Runnable unsubscribe = training.jobs().subscribe(e -> {
                if (!e.job().equals(id)) return;
                ObjectNode node = TrainJson.event(e, training.jobs());
                emitter.emit(sse.newEventBuilder().name(node.get("type").asText()).mediaType(MediaType.APPLICATION_JSON_TYPE)
                        .data(node.toString()).build());
                if (e instanceof TrainingEvent.State s && s.state().finished()) emitter.complete();
            });
            // A comment now and then keeps proxies with read timeouts from closing a quiet stream.
            var keepAlive = Infrastructure.getDefaultWorkerPool().scheduleAtFixedRate(
                    () -> emitter.emit(sse.newEventBuilder().comment("keep-alive").build()), 15, 15, TimeUnit.SECONDS);
            emitter.onTermination(() -> {
                unsubscribe.run();
                keepAlive.cancel(false);
            });
            if (job.state().finished()) emitter.complete();   // it ended between the check and the subscription
        });
        return Multi.createBy().concatenating().streams(Multi.createFrom().item(first), live);
    }

    private TrainingJobs.Job job(String id) {
        return training.jobs().get(id).orElseThrow(() -> new ApiException(404, "job_not_found", null,
                "no training job '" + id + "'; GET /api/train lists them"));
    }
}
