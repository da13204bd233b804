package dev.rill.server.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rill.server.api.ApiException;
import dev.rill.train.TrainingJobs;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import jakarta.inject.Inject;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * {@code /ws/train} (or {@code /ws/train?job=ID} for one job): first a {@code job} frame for each job
 * as it stands and a {@code subscribed} frame (from then on nothing is missed), then every event as it happens ({@code state}, {@code progress}, {@code eval},
 * {@code sample}, {@code checkpoint}). The socket only listens; closing it leaves the jobs running.
 */
@WebSocket(path = "/ws/train")
public class TrainSocket {

    private static final UserData.TypedKey<Runnable> SUBSCRIPTION = new UserData.TypedKey<>("rill.train.subscription");

    @Inject
    TrainService training;

    @OnOpen
    public void open(WebSocketConnection connection) {
        String only = jobParam(connection.handshakeRequest().query());
        TrainingJobs jobs;
        try {
            jobs = training.jobs();
        } catch (ApiException e) {
            send(connection, error(e.code(), e.getMessage()));
            connection.close().subscribe().with(x -> { }, x -> { });
            return;
        }
        if (only != null && jobs.get(only).isEmpty()) {
            send(connection, error("job_not_found", "no training job '" + only + "'; GET /api/train lists them"));
            connection.close().subscribe().with(x -> { }, x -> { });
            return;
        }
        Runnable unsubscribe = jobs.subscribe(e -> {
            if (only == null || e.job().equals(only)) send(connection, TrainJson.event(e, training.jobs()));
        });
        connection.userData().put(SUBSCRIPTION, unsubscribe);
        int n = 0;
        for (TrainingJobs.Job j : jobs.all()) {
            if (only == null || j.id().equals(only)) {
                send(connection, TrainJson.job(j, true).put("type", "job"));
                n++;
            }
        }
        send(connection, TrainJson.JSON.createObjectNode().put("type", "subscribed").put("jobs", n));
    }

    @OnClose
    public void close(WebSocketConnection connection) {
        Runnable unsubscribe = connection.userData().get(SUBSCRIPTION);
        if (unsubscribe != null) unsubscribe.run();
    }

    @OnTextMessage
    public void onText(String message, WebSocketConnection connection) {
        send(connection, error("read_only", "/ws/train only streams progress; start jobs with POST /api/train and cancel them with DELETE /api/train/{id}"));
    }

    private static ObjectNode error(String code, String message) {
        return TrainJson.JSON.createObjectNode().put("type", "error").put("code", code).put("message", message);
    }

    private static void send(WebSocketConnection connection, ObjectNode frame) {
        if (!connection.isOpen()) return;
        connection.sendText(frame.toString()).subscribe().with(ok -> { }, failure -> { });
    }

    static String jobParam(String query) {
        if (query == null) return null;
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals("job")) return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        }
        return null;
    }
}
