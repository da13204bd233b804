package dev.rill.cli;

import dev.rill.hub.ModelCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code rill models}: the model cache; {@code rill models rm NAME} removes from it. */
@Command(name = "models", mixinStandardHelpOptions = true, subcommands = ModelsCommand.Remove.class,
        description = "List the pulled models in the cache (names to use with serve --model, generate --model and models rm).")
final class ModelsCommand implements Callable<Integer> {

    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());

    @Mixin
    HubOptions hub;

    @Override
    public Integer call() {
        ModelCache cache = hub.settings().cache();
        List<ModelCache.Entry> entries = cache.list();
        System.out.println("model cache: " + cache.root());
        if (entries.isEmpty()) {
            System.out.println("(empty; `rill pull OWNER/REPO[:QUANT]` downloads a model)");
            return 0;
        }
        int width = Math.max(4, entries.stream().mapToInt(e -> e.name().length()).max().orElse(4));
        System.out.printf(Locale.ROOT, "%-" + width + "s  %10s  %s%n", "NAME", "SIZE", "MODIFIED");
        for (ModelCache.Entry e : entries) {
            System.out.printf(Locale.ROOT, "%-" + width + "s  %10s  %s%s%n", e.name(), PullCommand.Bar.size(e.bytes()), WHEN.format(e.modified()),
                    e.partial() ? "  (partial: `rill pull` resumes it)" : "");
        }
        return 0;
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Remove a model from the cache: OWNER/REPO/FILE.gguf, every file of OWNER/REPO:QUANT, or all of OWNER/REPO.")
    static final class Remove implements Callable<Integer> {

        @Parameters(paramLabel = "NAME", description = "as `rill models` lists it, or OWNER/REPO[:QUANT]")
        String name;

        @Mixin
        HubOptions hub;

        @Override
        public Integer call() throws IOException {
            for (String removed : hub.settings().cache().remove(name)) System.out.println("removed " + removed);
            return 0;
        }
    }
}
