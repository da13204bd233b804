package dev.rill.server.openai;

import dev.rill.generate.BatchScheduler;
import dev.rill.generate.GeneratedToken;
import dev.rill.generate.GenerationResult;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Hands a generation's events from the scheduler thread to the HTTP request's thread, which writes
 * them. Unbounded, yet bounded in practice by {@code max_tokens}.
 */
final class EventQueue implements BatchScheduler.Listener {

    sealed interface Event permits Started, Token, Done, Failed {
    }

    record Started(int promptTokens) implements Event {
    }

    record Token(GeneratedToken token, long nanos) implements Event {
    }

    record Done(GenerationResult result) implements Event {
    }

    record Failed(RuntimeException error) implements Event {
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    @Override
    public void onStart(int promptTokens) {
        events.add(new Started(promptTokens));
    }

    @Override
    public void onToken(GeneratedToken token) {
        events.add(new Token(token, System.nanoTime()));
    }

    @Override
    public void onDone(GenerationResult result) {
        events.add(new Done(result));
    }

    @Override
    public void onError(RuntimeException error) {
        events.add(new Failed(error));
    }

    /** The next event, or {@code null} after {@code millis} without one. */
    Event poll(long millis) throws InterruptedException {
        return events.poll(millis, TimeUnit.MILLISECONDS);
    }
}
