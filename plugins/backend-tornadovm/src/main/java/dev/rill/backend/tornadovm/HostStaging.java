package dev.rill.backend.tornadovm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Host memory for one chunk of device arrays (one layer's weights and KV cache), from {@code malloc}:
 * unlike an {@link Arena} allocation it is not zeroed, so its pages cost nothing until the chunk is
 * filled, right before its upload; {@link #close()} frees it once the chunk is on the device. A
 * model therefore never sits whole in host memory on its way to the device.
 */
final class HostStaging implements AutoCloseable {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle MALLOC = LINKER.downcallHandle(LINKER.defaultLookup().find("malloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

    private final Arena arena = Arena.ofShared();
    private long bytes;
    private boolean closed;

    /** {@code size} bytes of uninitialised memory, freed by {@link #close()}. */
    MemorySegment allocate(long size) {
        if (closed) throw new IllegalStateException("host staging already freed");
        MemorySegment p;
        try {
            p = (MemorySegment) MALLOC.invokeExact(Math.max(size, 1L));
        } catch (Throwable e) {
            throw new IllegalStateException("malloc failed", e);
        }
        if (p.equals(MemorySegment.NULL)) throw new OutOfMemoryError("cannot allocate " + size + " bytes of host memory to stage a device array");
        bytes += size;
        return p.reinterpret(size, arena, HostStaging::free);
    }

    /** Bytes allocated. */
    long bytes() {
        return bytes;
    }

    private static void free(MemorySegment p) {
        try {
            FREE.invokeExact(p);
        } catch (Throwable e) {
            throw new IllegalStateException("free failed", e);
        }
    }

    /** Frees the memory: the arrays it backs must not be read on the host again (their device copies stay). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        arena.close();
    }
}
