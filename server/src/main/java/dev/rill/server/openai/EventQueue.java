package dev.rill.server.openai;

import dev.rill.generate.BatchScheduler;
import dev.rill.generate.GeneratedToken;
import dev.rill.generate.GenerationResult;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Hands the events of a request's generations (its choices) from the scheduler thread to the HTTP
 * request's thread, which writes them. Unbounded, yet bounded in practice by {@code n·max_tokens}.
 */
final class EventQueue {

    sealed interface Event permits Started, Token, Done, Failed {
        int choice();
    }

    record Started(int choice, int promptTokens) implements Event {
    }

    record Token(int choice, GeneratedToken token, long nanos) implements Event {
    }

    record Done(int choice, GenerationResult result) implements Event {
    }

    record Failed(int choice, RuntimeException error) implements Event {
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    /** The listener of choice {@code index}. */
    BatchScheduler.Listener listener(int index) {
        return new BatchScheduler.Listener() {
            @Override
            public void onStart(int promptTokens) {
                events.add(new Started(index, promptTokens));
            }

            @Override
            public void onToken(GeneratedToken token) {
                events.add(new Token(index, token, System.nanoTime()));
            }

            @Override
            public void onDone(GenerationResult result) {
                events.add(new Done(index, result));
            }

            @Override
            public void onError(RuntimeException error) {
                events.add(new Failed(index, error));
            }
        };
    }

    /** The next event, or {@code null} after {@code millis} without one. */
    Event poll(long millis) throws InterruptedException {
        return events.poll(millis, TimeUnit.MILLISECONDS);
    }
}
