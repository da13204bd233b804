package dev.rill.spi;

/** Keys and values of one sequence's past positions, kept by the backend that made it. */
public interface KvCache extends AutoCloseable {

    /** Positions filled so far (the next token goes at this position). */
    int length();

    /** Positions it can hold. */
    int capacity();

    /** Forgets positions from {@code length} on. */
    void truncate(int length);

    @Override
    default void close() {
    }
}
