package dev.rill.cli;

import dev.rill.plugin.PluginRegistry;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --plugins DIR}, for every command that resolves plugins by name. */
final class PluginOptions {

    @Option(names = "--plugins", paramLabel = "DIR",
            description = "Also load plugin jars from this folder (default: only the built-in plugins; `rill plugins --plugins DIR` lists what it adds).")
    Path dir;

    /** The built-in plugins plus those of the folder, when one is given. */
    PluginRegistry registry() {
        return PluginRegistry.load(dir);
    }
}
