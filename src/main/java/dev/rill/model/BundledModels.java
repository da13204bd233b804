package dev.rill.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;

/**
 * Checkpoints shipped inside the application jar under {@code rill/models/<name>/}. They are copied
 * once into a folder under the temp directory (named by a hash of their config) and loaded from there.
 */
public final class BundledModels {

    /** The model {@code rill serve} and {@code rill generate} use when given none. */
    public static final String DEFAULT = "chat";
    private static final String ROOT = "rill/models/";

    private BundledModels() {
    }

    public static boolean exists(String name) {
        return BundledModels.class.getClassLoader().getResource(ROOT + name + "/" + Checkpoint.CONFIG) != null;
    }

    /** The folder holding the bundled checkpoint {@code name}, extracting it on first use. */
    public static Path folder(String name) throws IOException {
        ClassLoader cl = BundledModels.class.getClassLoader();
        byte[] config;
        try (InputStream in = cl.getResourceAsStream(ROOT + name + "/" + Checkpoint.CONFIG)) {
            if (in == null) throw new IllegalArgumentException("no bundled model named '" + name + "'");
            config = in.readAllBytes();
        }
        JsonNode root = Checkpoint.JSON.readTree(config);
        String tokenizerFile = root.path("rill").path("tokenizer").path("file").asText();
        String hash;
        try {
            hash = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(config)).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path base = Path.of(System.getProperty("java.io.tmpdir"), "rill-models");
        Path target = base.resolve(name + "-" + hash);
        if (Files.isRegularFile(target.resolve(Checkpoint.WEIGHTS))) return target;
        Files.createDirectories(base);
        Path tmp = Files.createTempDirectory(base, "." + name + "-");
        try {
            for (String file : new String[]{Checkpoint.CONFIG, Checkpoint.WEIGHTS, tokenizerFile}) {
                try (InputStream in = cl.getResourceAsStream(ROOT + name + "/" + file)) {
                    if (in == null) throw new IllegalStateException("bundled model '" + name + "' lacks " + file);
                    Files.copy(in, tmp.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isRegularFile(target.resolve(Checkpoint.WEIGHTS))) throw e;   // another process won the race
            }
        } finally {
            Checkpoint.deleteTree(tmp);
        }
        return target;
    }
}
