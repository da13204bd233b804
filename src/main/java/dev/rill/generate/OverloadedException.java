package dev.rill.generate;

/** Every generation slot is busy and the waiting queue is full: try again shortly. */
public final class OverloadedException extends RuntimeException {

    public OverloadedException(int maxConcurrent, int queueSize) {
        super("the server is overloaded: " + maxConcurrent + " generations are running and " + queueSize
                + " are waiting (the most it queues); try again shortly");
    }
}
