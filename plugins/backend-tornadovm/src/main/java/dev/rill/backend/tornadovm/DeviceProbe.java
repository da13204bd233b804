package dev.rill.backend.tornadovm;

import dev.rill.spi.ComputeBackend.Availability;

/**
 * Whether TornadoVM can run here: its classes on the module path, its runtime configured, and at
 * least one device. Asked once per JVM (starting TornadoVM's runtime opens its drivers).
 */
final class DeviceProbe {

    static final String BYTECODE_SIZE = "tornado.tvm.maxbytecodesize";
    static final String LAUNCH_HINT = "start Java with @$TORNADOVM_HOME/tornado-argfile (./rill adds it when TORNADOVM_HOME is set)";

    private DeviceProbe() {
    }

    private static final class Holder {
        static final Availability RESULT = probe();
    }

    static Availability availability() {
        return Holder.RESULT;
    }

    private static Availability probe() {
        try {
            Class.forName("uk.ac.manchester.tornado.api.TornadoExecutionPlan", false, DeviceProbe.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return Availability.unavailable("TornadoVM is not on the module path; " + LAUNCH_HINT);
        }
        // TornadoVM reads a kernel's bytecode through the system class loader, which does not see
        // jars that only an application class loader (Quarkus's runner) holds.
        if (ClassLoader.getSystemClassLoader().getResource("dev/rill/backend/tornadovm/Kernels.class") == null) {
            return Availability.unavailable("TornadoVM cannot read this backend's kernels: its jar is not on the JVM's class path"
                    + " (run the Quarkus app with -cp quarkus-run.jar:lib/main/<rill-backend-tornadovm jar> io.quarkus.bootstrap.runner.QuarkusEntryPoint, as ./rill does)");
        }
        if (System.getProperty("tornado.load.runtime.implementation") == null) {
            return Availability.unavailable("TornadoVM's runtime is not configured (no -Dtornado.load.* properties); " + LAUNCH_HINT);
        }
        // A kernel TornadoVM cannot compile would otherwise run as plain Java on the CPU, silently:
        // refuse that unless the user asked for it.
        if (System.getProperty("tornado.recover.bailout") == null) System.setProperty("tornado.recover.bailout", "False");
        // TornadoVM's default 4 KiB for a graph's own bytecode overflows with a model's hundreds of tasks.
        if (System.getProperty(BYTECODE_SIZE) == null) System.setProperty(BYTECODE_SIZE, Integer.toString(1 << 20));
        try {
            return Devices.availability();
        } catch (RuntimeException | LinkageError e) {
            Throwable cause = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
            String message = plain(cause.getMessage());
            if (message.contains("No OpenCL platforms")) {
                return Availability.unavailable("TornadoVM found no device: no OpenCL platform (install the GPU's OpenCL driver, or PoCL for the CPU; check clinfo)");
            }
            return Availability.unavailable("TornadoVM's runtime failed to start: " + cause.getClass().getSimpleName() + ": " + message);
        }
    }

    /** TornadoVM's message without terminal colours, and without its offer to run on the CPU instead (Rill does not). */
    static String plain(String message) {
        if (message == null) return "";
        return message.replaceAll("\u001B\\[[0-9;]*m", "").replace("Deoptimizing to sequential execution.", "").trim();
    }
}
