package dev.rill.backend.tornadovm;

import dev.rill.spi.ComputeBackend.Availability;
import uk.ac.manchester.tornado.api.TornadoBackend;
import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

import java.util.ArrayList;
import java.util.List;

/** TornadoVM's devices: counting them, and picking one by {@code backend:device}. */
final class Devices {

    private Devices() {
    }

    static Availability availability() {
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        int devices = 0;
        for (int b = 0; b < runtime.getNumBackends(); b++) devices += runtime.getBackend(b).getNumDevices();
        return devices > 0 ? Availability.AVAILABLE
                : Availability.unavailable("TornadoVM found no device (" + runtime.getNumBackends()
                + " backend(s) loaded; check `tornado --devices`, clinfo or nvidia-smi)");
    }

    /**
     * @param spec {@code backend:device} as {@code tornado --devices} numbers them, or empty for the default
     * @throws IllegalArgumentException naming the devices there are
     */
    static TornadoDevice select(String spec) {
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        if (spec == null || spec.isBlank()) return runtime.getDefaultDevice();
        String[] parts = spec.trim().split(":");
        int b, d;
        try {
            if (parts.length != 2) throw new NumberFormatException();
            b = Integer.parseInt(parts[0]);
            d = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tornadovm device '" + spec + "' is not backend:device; devices: " + list(runtime));
        }
        if (b < 0 || b >= runtime.getNumBackends() || d < 0 || d >= runtime.getBackend(b).getNumDevices()) {
            throw new IllegalArgumentException("no tornadovm device " + spec + "; devices: " + list(runtime));
        }
        return runtime.getBackend(b).getDevice(d);
    }

    /**
     * TornadoVM's device heap per device, {@code -Dtornado.device.memory} (default 4GB), in bytes, in
     * TornadoVM's own syntax: a number with an optional K/M/G/T binary unit and B.
     */
    static long heapBytes() {
        String v = System.getProperty("tornado.device.memory", "4GB").trim().toUpperCase(java.util.Locale.ROOT);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([KMGT]?)B?").matcher(v);
        if (!m.matches()) throw new IllegalArgumentException("-Dtornado.device.memory=" + v + " is not a size like 8GB");
        return Long.parseLong(m.group(1)) << (10 * "_KMGT".indexOf(m.group(2).isEmpty() ? "_" : m.group(2)));
    }

    static String describe(TornadoDevice device) {
        return device.getTornadoVMBackend() + " " + device.getPlatformName().trim() + " / " + device.getDeviceName().trim();
    }

    private static String list(TornadoRuntime runtime) {
        List<String> out = new ArrayList<>();
        for (int b = 0; b < runtime.getNumBackends(); b++) {
            TornadoBackend backend = runtime.getBackend(b);
            for (int d = 0; d < backend.getNumDevices(); d++) out.add(b + ":" + d + " " + describe(backend.getDevice(d)));
        }
        return out.isEmpty() ? "none" : String.join(", ", out);
    }
}
