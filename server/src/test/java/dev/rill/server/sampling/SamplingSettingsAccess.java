package dev.rill.server.sampling;

/** Test access to package-private helpers. */
public final class SamplingSettingsAccess {

    private SamplingSettingsAccess() {
    }

    public static String normalize(String key) {
        return SamplingSettings.normalize(key);
    }
}
