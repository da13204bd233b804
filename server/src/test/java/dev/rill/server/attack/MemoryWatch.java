package dev.rill.server.attack;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.PooledByteBufAllocator;
import io.vertx.core.buffer.impl.VertxByteBufAllocator;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/**
 * Samples the memory the application (running in this JVM) holds every 10 ms: heap outside the young generation, NIO direct
 * buffers and the memory of Netty's buffer pools. {@link #growth()} is the peak over the first sample.
 */
final class MemoryWatch implements AutoCloseable {

    private final long baseline;
    private volatile long peak;
    private volatile boolean running = true;
    private final Thread thread;

    MemoryWatch() {
        System.gc();
        baseline = used();
        peak = baseline;
        thread = Thread.ofPlatform().daemon().start(() -> {
            while (running) {
                peak = Math.max(peak, used());
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    /**
     * Heap held outside the young generation. Short-lived garbage (probes, handshakes, the test's own
     * clients) fills eden by tens of MiB between collections and says nothing about what the server
     * keeps; an inflated message is one large array, which G1 allocates as humongous regions, counted here.
     */
    static long heap() {
        long used = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && !p.getName().contains("Eden") && !p.getName().contains("Survivor")) used += p.getUsage().getUsed();
        }
        return used;
    }

    static long nio() {
        long direct = 0;
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (b.getName().equals("direct")) direct = b.getMemoryUsed();
        }
        return direct;
    }

    static long pools() {
        return pool(VertxByteBufAllocator.POOLED_ALLOCATOR) + (VertxByteBufAllocator.POOLED_ALLOCATOR == PooledByteBufAllocator.DEFAULT ? 0 : pool(PooledByteBufAllocator.DEFAULT));
    }

    static long pool(ByteBufAllocator a) {
        return a instanceof ByteBufAllocatorMetricProvider p ? p.metric().usedDirectMemory() + p.metric().usedHeapMemory() : 0;
    }

    static long used() {
        return heap() + nio() + pools();
    }

    /** Bytes above the baseline at the highest sample so far. */
    long growth() {
        return Math.max(0, Math.max(peak, used()) - baseline);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join();
    }
}
