package dev.rill.server.security;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/** API keys and an origin allowlist configured; per client (per key) 1 generation in progress and 1 held. */
public class SecuredProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("rill.api-keys", "key-one,key-two", "rill.allowed-origins", "https://chat.example.com",
                "rill.limits.per-client.max-concurrent", "1", "rill.limits.per-client.max-queued", "1");
    }
}
