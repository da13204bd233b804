package dev.rill.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.websockets.next.BasicWebSocketConnector;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.WebSocketClientConnection;
import io.vertx.core.buffer.Buffer;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/** A real WebSocket client on /ws/chat (Quarkus's BasicWebSocketConnector) that queues what it receives. */
public final class WsClient implements AutoCloseable {

    public static final ObjectMapper JSON = new ObjectMapper();
    public static final long TIMEOUT_S = 60;

    public final WebSocketClientConnection connection;
    private final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
    public volatile CloseReason closed;

    private WsClient(URI base, UnaryOperator<BasicWebSocketConnector> customize) {
        BasicWebSocketConnector connector = BasicWebSocketConnector.create().baseUri(base).path("/ws/chat")
                .executionModel(BasicWebSocketConnector.ExecutionModel.NON_BLOCKING)
                .onTextMessage((c, m) -> {
                    try {
                        received.add(JSON.readTree(m));
                    } catch (Exception e) {
                        received.add(JSON.createObjectNode().put("type", "unparseable").put("raw", m));
                    }
                })
                .onClose((c, reason) -> closed = reason);
        connection = customize.apply(connector).connectAndAwait();
    }

    public static WsClient connect(URI base) {
        return new WsClient(base, c -> c);
    }

    public static WsClient connect(URI base, UnaryOperator<BasicWebSocketConnector> customize) {
        return new WsClient(base, customize);
    }

    public void send(String text) {
        connection.sendTextAndAwait(text);
    }

    public void send(Object message) {
        try {
            send(JSON.writeValueAsString(message));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public void sendBinary(byte[] bytes) {
        connection.sendBinaryAndAwait(Buffer.buffer(bytes));
    }

    /** The next message, failing after the timeout. */
    public JsonNode next() throws InterruptedException {
        JsonNode n = received.poll(TIMEOUT_S, TimeUnit.SECONDS);
        if (n == null) fail("no message within " + TIMEOUT_S + " s");
        return n;
    }

    /** The next message or {@code null} after {@code millis}. */
    public JsonNode poll(long millis) throws InterruptedException {
        return received.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** The next message, which must be of {@code type}. */
    public JsonNode expect(String type) throws InterruptedException {
        JsonNode n = next();
        assertEquals(type, n.path("type").asText(), () -> "expected a '" + type + "' frame, got " + n);
        return n;
    }

    /** Everything up to and including the {@code done} (or {@code error}) of generation {@code id}. */
    public List<JsonNode> untilEnd(String id) throws InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        while (true) {
            JsonNode n = next();
            out.add(n);
            String type = n.path("type").asText();
            if ((type.equals("done") || type.equals("error")) && id.equals(n.path("id").asText())) return out;
        }
    }

    /** The error frame expected next, with its code. */
    public JsonNode expectError(String code) throws InterruptedException {
        JsonNode n = expect("error");
        assertNotNull(n.get("message"));
        assertEquals(code, n.path("code").asText(), () -> "error " + n);
        return n;
    }

    @Override
    public void close() {
        if (connection.isOpen()) connection.closeAndAwait();
    }
}
