package dev.rill.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Off-heap memory in transparent huge pages (Linux): anonymous {@code mmap}, advised
 * {@code MADV_HUGEPAGE}, unmapped when the segment becomes unreachable. Streaming gigabytes of
 * weights through 4 KiB pages costs a TLB miss every few kilobytes; the JVM's
 * {@code -XX:+UseTransparentHugePages} covers the heap but not a mapped file (file pages are 4 KiB).
 */
final class HugePages {

    private static final long HUGE = 2L << 20;
    private static final int PROT_READ_WRITE = 3, MAP_PRIVATE_ANONYMOUS = 0x22, MADV_HUGEPAGE = 14;
    private static final MethodHandle MMAP, MADVISE, MUNMAP;

    static {
        MethodHandle mmap = null, madvise = null, munmap = null;
        if (System.getProperty("os.name", "").startsWith("Linux") && enabled(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"))) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                        FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
            } catch (RuntimeException | Error e) { // no native access granted, or no such symbols: stay on ordinary memory
                mmap = null;
            }
        }
        MMAP = mmap;
        MADVISE = madvise;
        MUNMAP = munmap;
    }

    private HugePages() {
    }

    /** Whether the kernel hands out transparent huge pages at all ({@code always} or {@code madvise} selected). */
    static boolean enabled(Path setting) {
        try {
            String s = Files.readString(setting);
            return s.contains("[always]") || s.contains("[madvise]");
        } catch (Exception e) {
            return false;
        }
    }

    static boolean available() {
        return MMAP != null;
    }

    /**
     * {@code bytes} of zeroed memory starting on a huge-page boundary, or null where huge pages
     * cannot be had; {@code freed} runs once the segment has been unmapped.
     */
    static MemorySegment allocate(long bytes, Runnable freed) {
        if (MMAP == null || bytes <= 0) return null;
        try {
            long length = (bytes + HUGE - 1) / HUGE * HUGE + HUGE; // one spare page to align the start
            MemorySegment mapped = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            long base = mapped.address();
            if (base == -1L) return null;
            long start = (base + HUGE - 1) / HUGE * HUGE;
            if ((int) MADVISE.invokeExact(MemorySegment.ofAddress(start), length - (start - base), MADV_HUGEPAGE) != 0) {
                unmap(base, length);
                return null;
            }
            return MemorySegment.ofAddress(start).reinterpret(bytes, Arena.ofAuto(), s -> {
                unmap(base, length);
                freed.run();
            });
        } catch (Throwable e) {
            return null;
        }
    }

    private static void unmap(long base, long length) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(base), length);
        } catch (Throwable e) {
            throw new IllegalStateException("munmap failed", e);
        }
    }
}
