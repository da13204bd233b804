package dev.rill.backend.cpu;

import dev.rill.spi.MappedTensor;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What the backend derives from a mapped matrix once (a repacked or a resident copy), kept as long
 * as the matrix is reachable: weak keys compared by identity, so a model that is unloaded takes its
 * copies with it.
 */
final class TensorCache<V> {

    private final ConcurrentHashMap<Key, V> map = new ConcurrentHashMap<>();
    private final ReferenceQueue<MappedTensor> cleared = new ReferenceQueue<>();

    private static final class Key extends WeakReference<MappedTensor> {
        private final int hash;

        Key(MappedTensor t, ReferenceQueue<MappedTensor> q) {
            super(t, q);
            hash = System.identityHashCode(t);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o == this || (o instanceof Key k && k.get() != null && k.get() == get());
        }
    }

    /** The value for {@code t}, made by {@code make} on first use. */
    V get(MappedTensor t, Function<MappedTensor, V> make) {
        for (Object k; (k = cleared.poll()) != null; ) map.remove(k);
        return map.computeIfAbsent(new Key(t, cleared), k -> make.apply(t));
    }
}
