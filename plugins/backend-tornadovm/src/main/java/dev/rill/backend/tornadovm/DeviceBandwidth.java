package dev.rill.backend.tornadovm;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

import java.util.Locale;

/**
 * The memory bandwidth of a TornadoVM device, measured as STREAM's triad {@code a = b + s·c} (12
 * bytes per element, as STREAM counts) from the kernel times TornadoVM's profiler reports, best of
 * ten runs: the bound decode speed is compared against ({@code rill bench model --bandwidth}).
 *
 * <p>{@code java @$TORNADOVM_HOME/tornado-argfile -cp <this jar> dev.rill.backend.tornadovm.DeviceBandwidth [B:D] [MiB per array]}
 */
public final class DeviceBandwidth {

    private DeviceBandwidth() {
    }

    static void triad(KernelContext ctx, FloatArray a, FloatArray b, FloatArray c, float s, int n) {
        int i = ctx.globalIdx;
        if (i < n) a.set(i, b.get(i) + s * c.get(i));
    }

    public static void main(String[] args) {
        var availability = DeviceProbe.availability();
        if (!availability.available()) {
            System.err.println("tornadovm unavailable: " + availability.reason());
            System.exit(1);
        }
        TornadoDevice device = Devices.select(args.length > 0 ? args[0] : "");
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        int n = Math.multiplyExact(mib, 1 << 18);
        try (HostStaging staging = new HostStaging()) {
            // Uninitialised host memory: the triad's speed does not depend on the values.
            FloatArray a = array(staging, n), b = array(staging, n), c = array(staging, n);
            KernelContext ctx = new KernelContext();
            TaskGraph tg = new TaskGraph("bandwidth")
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b, c)
                    .task("triad", DeviceBandwidth::triad, ctx, a, b, c, 3f, n)
                    .transferToHost(DataTransferMode.UNDER_DEMAND, a);
            WorkerGrid1D grid = new WorkerGrid1D((n + Kernels.WG - 1) / Kernels.WG * Kernels.WG);
            grid.setLocalWork(Kernels.WG, 1, 1);
            try (TornadoExecutionPlan plan = new TornadoExecutionPlan(tg.snapshot())) {
                plan.withDevice(device).withGridScheduler(new GridScheduler("bandwidth.triad", grid)).withProfiler(ProfilerMode.SILENT);
                plan.execute();
                long best = Long.MAX_VALUE;
                for (int k = 0; k < 10; k++) {
                    TornadoExecutionResult r = plan.execute();
                    best = Math.min(best, r.getProfilerResult().getDeviceKernelTime());
                }
                System.out.printf(Locale.ROOT, "device triad: %.1f GB/s on %s (3 arrays of %d MiB, best kernel time of 10: %.3f ms)%n",
                        12.0 * n / best, Devices.describe(device), mib, best / 1e6);
            }
        } catch (Exception e) {
            System.err.println("tornadovm bandwidth measurement failed: " + DeviceProbe.plain(e.getMessage()));
            System.exit(1);
        }
        System.exit(0);
    }

    private static FloatArray array(HostStaging staging, int n) {
        return FloatArray.fromSegmentShallow(staging.allocate(TornadoNativeArray.ARRAY_HEADER + (long) n * Float.BYTES));
    }
}
