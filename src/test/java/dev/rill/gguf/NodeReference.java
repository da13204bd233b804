package dev.rill.gguf;

import dev.rill.node.NodeTools;

import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The reference implementation GgufTokenizerAgreementTest compares with: npm packages in test/node,
 * installed with {@code npm ci} on first use and run with {@code node}. Only this test needs Node
 * (packaging never does); without Node or npm it fails with one line naming what to install.
 */
final class NodeReference {

    static final Path DIR = Path.of("test/node");

    private NodeReference() {
    }

    /** {@code node script args...} in test/node, after installing its packages when they are not installed. */
    static synchronized void run(String script, String... args) {
        NodeTools.install(DIR, NEED);
        NodeTools.exec(DIR, NEED, Stream.concat(Stream.of("node", script), Stream.of(args)).toArray(String[]::new));
    }

    private static final String NEED = "this test compares with Tokenizers.js";
}
