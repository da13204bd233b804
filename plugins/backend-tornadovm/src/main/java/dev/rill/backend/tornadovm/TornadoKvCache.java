package dev.rill.backend.tornadovm;

import dev.rill.spi.KvCache;

/**
 * One sequence's KV slot on the device. The keys and values live in the step graph's per-layer
 * arrays; the host keeps only the length. Closing gives the slot back.
 */
final class TornadoKvCache implements KvCache {

    final TornadoForwardPass owner;
    final int slot;
    private final int capacity;
    private int length;
    private boolean closed;

    TornadoKvCache(TornadoForwardPass owner, int slot, int capacity) {
        this.owner = owner;
        this.slot = slot;
        this.capacity = capacity;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    void advance(int positions) {
        length += positions;
    }

    boolean closed() {
        return closed;
    }

    /** Positions from {@code length} on are overwritten by the next tokens; nothing moves on the device. */
    @Override
    public void truncate(int length) {
        if (length < 0 || length > this.length) throw new IllegalArgumentException("cannot truncate a cache of " + this.length + " to " + length);
        this.length = length;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        owner.release(slot);
    }
}
