package dev.rill.server.model;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Serves the tiny Gemma 2, Gemma 3 and Phi-3 GGUF files (the engine's reference fixtures, made by
 * transformers and converted as llama.cpp does) beside the tiny default model.
 */
public class FamiliesProfile implements QuarkusTestProfile {

    static final String[] FAMILIES = {"gemma2", "gemma3", "phi3"};

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> config = new LinkedHashMap<>();
        for (String f : FAMILIES) config.put("rill.models." + f, file("tiny-" + f + ".gguf").toString());
        return config;
    }

    /** A fixture of the engine's test-jar, copied to disk (models are memory-mapped files). */
    static Path file(String name) {
        try (InputStream in = FamiliesProfile.class.getResourceAsStream("/gguf/" + name)) {
            if (in == null) throw new IllegalStateException("test resource gguf/" + name + " is missing");
            Path p = Path.of("target", "test-models", name).toAbsolutePath();
            Files.createDirectories(p.getParent());
            Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
