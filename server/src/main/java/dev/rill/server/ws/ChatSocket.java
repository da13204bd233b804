package dev.rill.server.ws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.generate.BatchScheduler;
import dev.rill.generate.OverloadedException;
import dev.rill.generate.GeneratedToken;
import dev.rill.generate.GenerationRequest;
import dev.rill.generate.GenerationResult;
import dev.rill.sampling.TokenLogprobs;
import dev.rill.server.api.ApiException;
import dev.rill.server.api.ApiExceptionMapper;
import dev.rill.server.api.JsonInput;
import dev.rill.server.chat.ChatMessage;
import dev.rill.server.config.RillConfig;
import dev.rill.server.generation.Generation;
import dev.rill.server.generation.GenerationService;
import dev.rill.server.security.ClientIds;
import io.quarkus.websockets.next.CloseReason;
import dev.rill.spi.Vocabulary;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.common.annotation.NonBlocking;
import io.smallrye.common.annotation.RunOnVirtualThread;
import io.vertx.core.buffer.Buffer;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code /ws/chat}: JSON messages with a {@code type}. The client sends {@code chat} and {@code cancel};
 * the server answers {@code start}, one {@code token} per sampled token the moment it is sampled,
 * then {@code done} (or {@code error}). One generation runs per connection at a time; a {@code chat}
 * while one runs is refused with error {@code busy}. A bad message gets an {@code error} frame and the
 * connection stays open. Closing the connection cancels its generation. Messages are handled on
 * virtual threads (in order, per connection), so no client can hold the worker pool.
 */
@WebSocket(path = "/ws/chat")
public class ChatSocket {

    private static final Logger LOG = Logger.getLogger(ChatSocket.class);
    private static final UserData.TypedKey<Session> SESSION = new UserData.TypedKey<>("rill.ws.session");
    private static final ObjectMapper OUT = new ObjectMapper();
    private static final int MAX_ID = 256;

    @Inject
    GenerationService generation;
    @Inject
    RillConfig config;
    @Inject
    ClientIds clients;
    @ConfigProperty(name = "quarkus.websockets-next.server.max-message-size", defaultValue = "1048576")
    int hardLimit;

    /** One connection: its running generation, if any. */
    private static final class Session {
        final WebSocketConnection connection;
        final AtomicReference<Running> current = new AtomicReference<>();
        final AtomicInteger ids = new AtomicInteger();
        final String client;

        Session(WebSocketConnection connection, String client) {
            this.connection = connection;
            this.client = client;
        }

        void send(Object frame, Running onFailureCancel) {
            String json;
            try {
                json = OUT.writeValueAsString(frame);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            connection.sendText(json).subscribe().with(ok -> {
            }, failure -> {
                if (onFailureCancel != null) onFailureCancel.cancel();
            });
        }
    }

    /** A generation of this connection, known by its id before its job exists. */
    private static final class Running {
        final String id;
        volatile Generation job;
        volatile boolean cancelRequested;

        Running(String id) {
            this.id = id;
        }

        void cancel() {
            cancelRequested = true;
            Generation j = job;
            if (j != null) j.cancel();
        }
    }

    private static final GenerationService.Fields FIELDS = new GenerationService.Fields("model", "messages", "prompt",
            "max_tokens", "stop", name -> "sampling." + name, "sampling.chain");

    @OnOpen
    @NonBlocking
    public void open(WebSocketConnection connection) {
        connection.userData().put(SESSION, new Session(connection, clients.of(connection.handshakeRequest())));
    }

    @OnTextMessage
    @RunOnVirtualThread
    public void onText(String message, WebSocketConnection connection) {
        long arrival = System.nanoTime();
        Session session = session(connection);
        String id = null;
        boolean isChat = false;
        try {
            checkSize(message);
            JsonNode node = JsonInput.parseObject(message);
            if (node.get("id") != null && node.get("id").isTextual()) id = node.get("id").asText();
            JsonNode type = node.get("type");
            if (type == null || type.isNull()) throw ApiException.invalid("type", "field 'type' is missing; expected \"chat\" or \"cancel\"");
            if (!type.isTextual()) throw ApiException.invalid("type", "field 'type' must be a string: \"chat\" or \"cancel\"");
            switch (type.asText()) {
                case "chat" -> {
                    isChat = true;
                    chat(session, JsonInput.bind(JsonInput.STRICT, node, Frames.Chat.class), arrival);
                }
                case "cancel" -> cancel(session, JsonInput.bind(JsonInput.STRICT, node, Frames.Cancel.class));
                default -> throw new ApiException(400, "unknown_type", "type",
                        "unknown message type '" + type.asText() + "'; expected \"chat\" or \"cancel\"");
            }
        } catch (ApiException e) {
            if (isChat && e.status() != 429) generation.refused("ws", e);   // a 429 is counted where it is refused
            session.send(new Frames.Error(id, e.code(), e.param(), e.getMessage()), null);
        } catch (RuntimeException e) {
            ApiException internal = ApiExceptionMapper.internal(e, LOG);
            session.send(new Frames.Error(id, internal.code(), null, internal.getMessage()), null);
        }
    }

    @OnBinaryMessage
    @NonBlocking
    public void onBinary(Buffer message, WebSocketConnection connection) {
        session(connection).send(new Frames.Error(null, "binary_not_supported", null,
                "binary messages are not part of the protocol; send JSON text messages"), null);
    }

    @OnClose
    @NonBlocking
    public void close(WebSocketConnection connection) {
        Session session = connection.userData().get(SESSION);
        if (session == null) return;
        Running running = session.current.getAndSet(null);
        if (running != null) running.cancel();
    }

    @OnError
    @NonBlocking
    public void error(Throwable failure, WebSocketConnection connection) {
        Session session = connection.userData().get(SESSION);
        if (tooBig(failure)) {
            // Vert.x refuses a message over quarkus.websockets-next.server.max-message-size while its fragments
            // arrive, and would read on; the README says such a connection is closed, with 1009.
            connection.close(new CloseReason(1009, "message over " + hardLimit + " bytes")).subscribe().with(ok -> {
            }, closeFailed -> LOG.debug("closing after an oversized message failed", closeFailed));
        } else if (session != null && connection.isOpen()) {
            ApiException internal = ApiExceptionMapper.internal(failure, LOG);
            session.send(new Frames.Error(null, internal.code(), null, internal.getMessage()), null);
        } else {
            LOG.debug("WebSocket failure after the connection closed", failure);
        }
    }

    /** Vert.x's refusal of a message over its size limit (an IllegalStateException, told apart only by its words). */
    private static boolean tooBig(Throwable failure) {
        return failure instanceof IllegalStateException && failure.getMessage() != null && failure.getMessage().contains("overflow max message size");
    }

    private Session session(WebSocketConnection connection) {
        Session s = connection.userData().get(SESSION);
        if (s == null) {
            s = new Session(connection, clients.of(connection.handshakeRequest()));
            connection.userData().put(SESSION, s);
        }
        return s;
    }

    private void checkSize(String message) {
        int limit = config.limits().maxMessageSize();
        // Characters never outnumber UTF-8 bytes, and each takes at most 3 bytes (surrogate pairs 4 for 2).
        if ((long) message.length() * 3 <= limit) return;
        int bytes = message.length() > limit ? message.length() : message.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > limit) {
            throw new ApiException(413, "message_too_large", null, "the message has " + (message.length() > limit ? "more than " + limit : bytes)
                    + " bytes; at most " + limit + " are accepted (rill.limits.max-message-size)");
        }
    }

    private void chat(Session session, Frames.Chat chat, long arrival) {
        if (chat.id() != null && (chat.id().isBlank() || chat.id().length() > MAX_ID)) {
            throw ApiException.invalid("id", "field 'id' must be a non-blank string of at most " + MAX_ID + " characters");
        }
        String id = chat.id() != null ? chat.id() : "chat-" + session.ids.incrementAndGet();
        Running running = new Running(id);
        if (!session.current.compareAndSet(null, running)) {
            Running other = session.current.get();
            throw new ApiException(409, "busy", "id", "generation '" + (other == null ? "?" : other.id) + "' is still running on this connection; "
                    + "wait for its done frame or cancel it (one generation at a time per connection; open more connections to run several)");
        }
        try {
            GenerationService.Prepared prepared = generation.prepare(input(chat), FIELDS);
            running.job = generation.submit("ws", session.client, prepared, arrival, new Listener(session, running, prepared, arrival));
            if (running.cancelRequested) running.job.cancel();
        } catch (RuntimeException e) {
            session.current.compareAndSet(running, null);
            throw e;
        }
    }

    private static void cancel(Session session, Frames.Cancel cancel) {
        if (cancel.id() == null) throw ApiException.invalid("id", "field 'id' is missing: name the generation to cancel");
        Running running = session.current.get();
        if (running == null || !running.id.equals(cancel.id())) {
            throw new ApiException(404, "not_running", "id", "no generation '" + cancel.id() + "' is running on this connection"
                    + (running != null ? " (running: '" + running.id + "')" : ""));
        }
        running.cancel();
    }

    private static GenerationService.Input input(Frames.Chat chat) {
        if ((chat.messages() == null) == (chat.prompt() == null)) {
            throw ApiException.invalid("messages", "give either 'messages' (a conversation) or 'prompt' (text to continue), not "
                    + (chat.messages() == null ? "neither" : "both"));
        }
        List<ChatMessage> messages = null;
        if (chat.messages() != null) {
            messages = new ArrayList<>();
            for (int i = 0; i < chat.messages().size(); i++) {
                Frames.Message m = chat.messages().get(i);
                if (m == null) throw ApiException.invalid("messages[" + i + "]", "messages[" + i + "] must be an object {role, content}");
                try {
                    messages.add(new ChatMessage(m.role(), m.content()));
                } catch (IllegalArgumentException e) {
                    throw ApiException.invalid("messages[" + i + "]" + (m.role() == null || m.content() != null ? ".role" : ".content"),
                            "messages[" + i + "]: " + e.getMessage());
                }
            }
        }
        GenerationService.Sampling sampling = GenerationService.Sampling.of(chat.sampling(), "sampling");
        Integer logprobs = chat.logprobs();
        if (logprobs != null && (logprobs < 0 || logprobs > GenerationRequest.MAX_LOGPROBS)) {
            throw ApiException.invalid("logprobs", "field 'logprobs' must be an integer from 0 to " + GenerationRequest.MAX_LOGPROBS
                    + " (alternatives listed per token; got " + logprobs + ")");
        }
        return new GenerationService.Input(chat.model(), messages, chat.prompt(), sampling.chain(), sampling.params(), chat.maxTokens(),
                GenerationService.stopStrings(chat.stop(), "stop"), chat.seed(), logprobs == null ? -1 : logprobs, List.of(),
                Boolean.TRUE.equals(chat.continueFinalMessage()));
    }

    /** Sends a generation's frames, in order, from the scheduler thread. */
    private static final class Listener implements BatchScheduler.Listener {
        private final Session session;
        private final Running running;
        private final GenerationService.Prepared prepared;
        private final long arrival;
        private long firstToken;

        Listener(Session session, Running running, GenerationService.Prepared prepared, long arrival) {
            this.session = session;
            this.running = running;
            this.prepared = prepared;
            this.arrival = arrival;
        }

        @Override
        public void onStart(int promptTokens) {
            session.send(new Frames.Start(running.id, prepared.model().name(), promptTokens, prepared.droppedMessages()), running);
        }

        @Override
        public void onToken(GeneratedToken t) {
            if (firstToken == 0) firstToken = System.nanoTime();
            session.send(t.logprobs() == null ? new Frames.Token(running.id, t.index(), t.tokenId(), t.text()) : withLogprobs(t), running);
        }

        @Override
        public void onDone(GenerationResult r) {
            // Free the connection's slot before the client can see "done" and send its next chat.
            session.current.compareAndSet(running, null);
            double ttft = firstToken == 0 ? 0 : (firstToken - arrival) / 1e6;
            session.send(new Frames.Done(running.id, r.finishReason().wire(), new Frames.Usage(r.promptTokens(), r.completionTokens()),
                    new Frames.Timings(round(ttft), round(r.tokensPerSecond()))), null);
        }

        @Override
        public void onError(RuntimeException e) {
            session.current.compareAndSet(running, null);
            // A request the engine rejected late (e.g. a logit bias for a token the vocabulary lacks) is still the client's to fix.
            String code = e instanceof OverloadedException ? "overloaded" : e instanceof IllegalArgumentException ? "invalid_request" : "generation_failed";
            session.send(new Frames.Error(running.id, code, null, e.getMessage()), null);
        }

        private Frames.Token withLogprobs(GeneratedToken t) {
            TokenLogprobs lp = t.logprobs();
            Vocabulary v = prepared.model().model().vocabulary();
            List<Frames.TopLogprob> top = new ArrayList<>(lp.topIds().length);
            for (int i = 0; i < lp.topIds().length; i++) top.add(new Frames.TopLogprob(lp.topIds()[i], v.piece(lp.topIds()[i]), lp.topLogprobs()[i]));
            return new Frames.Token("token", running.id, t.index(), t.tokenId(), t.text(), lp.logprob(), top);
        }

        private static double round(double v) {
            return Math.round(v * 100) / 100.0;
        }
    }
}
