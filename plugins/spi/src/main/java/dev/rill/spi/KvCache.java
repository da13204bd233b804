package dev.rill.spi;

/** Keys and values of one sequence's past positions, kept by the backend that made it. */
public interface KvCache extends AutoCloseable {

    /** Positions filled so far (the next token goes at this position). */
    int length();

    /** Positions it can hold. */
    int capacity();

    /** Forgets positions from {@code length} on. */
    void truncate(int length);

    /**
     * Makes room for positions {@code [0, positions)} now, where a backend grows its caches as they
     * fill (a forward pass over them would otherwise do it): a caller that runs several sequences
     * in one pass can then fail only the sequence whose memory ran out. A cache that holds its whole
     * capacity from the start does nothing.
     *
     * @throws IllegalArgumentException when {@code positions} exceeds the capacity
     * @throws OutOfMemoryError         when the memory cannot be had (the cache is left as it was)
     */
    default void reserve(int positions) {
        if (positions > capacity()) throw new IllegalArgumentException("cannot hold " + positions + " positions in a cache of capacity " + capacity());
    }

    @Override
    default void close() {
    }
}
