package dev.rill.server.sampling;

import dev.rill.model.TinyModel;
import dev.rill.plugin.PluginException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplingSettingsTest {

    static List<String> inserted(List<String> chain, String sampler) {
        List<String> names = new ArrayList<>(chain);
        SamplingSettings.insert(names, sampler);
        return names;
    }

    @Test
    void aMissingSamplerGoesToItsPlaceInLlamaCppsOrder() {
        assertEquals(List.of("top-k", "temperature", "dist"), inserted(List.of("temperature", "dist"), "top-k"));
        assertEquals(List.of("top-k", "top-p", "temperature", "dist"), inserted(List.of("top-k", "temperature", "dist"), "top-p"));
        assertEquals(List.of("logit-bias", "top-k", "temperature"), inserted(List.of("top-k", "temperature"), "logit-bias"));
        assertEquals(List.of("top-k", "min-p", "dist"), inserted(List.of("top-k", "dist"), "min-p"));
        assertEquals(List.of("top-k", "greedy"), inserted(List.of("greedy"), "top-k"));
        assertEquals(List.of("penalties", "top-k", "mirostat-v2"), inserted(List.of("penalties", "mirostat-v2"), "top-k"));
    }

    @Test
    void configuredParametersApplyAndRequestsOverrideThem() {
        SamplingSettings s = new SamplingSettings(TinyModel.REGISTRY, List.of("temperature", "dist"), Map.of("temperature", "0.5"));
        assertEquals(List.of("temperature", "dist"), s.resolve(null, Map.of()).names());
        assertEquals(List.of("temperature", "dist"), s.resolve(null, Map.of("temperature", 1.5)).names());
        assertEquals(List.of("dist"), s.resolve(List.of("dist"), Map.of()).names(), "a configured parameter is skipped for a chain without its sampler");
    }

    @Test
    void badConfigurationFailsAtStartUpNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SamplingSettings(TinyModel.REGISTRY, null, Map.of("temprature", "0.5")));
        assertTrue(e.getMessage().contains("temprature") && e.getMessage().contains("temperature"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SamplingSettings(TinyModel.REGISTRY, null, Map.of("temperature", "hot")));
        assertThrows(PluginException.class, () -> new SamplingSettings(TinyModel.REGISTRY, List.of("nope"), Map.of()));
        // Environment variables cannot keep '_' apart: top-k / top.k mean top_k.
        assertEquals("top_k", SamplingSettings.normalize("top-k"));
        assertEquals("top_k", SamplingSettings.normalize("top.k"));
    }

    @Test
    void aRequestsOwnChainMustDeclareEveryParameterItSends() {
        SamplingSettings s = new SamplingSettings(TinyModel.REGISTRY, null, Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.resolve(List.of("dist"), Map.of("temperature", 1.0)));
        assertTrue(e.getMessage().contains("temperature"), e.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> s.resolve(null, Map.of("bogus", 1)));
        assertTrue(unknown.getMessage().contains("bogus"), unknown.getMessage());
    }
}
