package dev.rill.cli;

import dev.rill.sampling.SamplerChain;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every command's options, walked through picocli's model of the real command tree: each has a
 * description and shows its default; one concept has one name everywhere; shared options are
 * declared once, in their mixin.
 */
class CommandTreeTest {

    /** Names that were used for a concept that has another name now: the name to use instead. */
    static final Map<String, String> RETIRED = Map.of(
            "--input", "--data", "--output", "--out", "--text-file", "--data", "--chain", "--sampler",
            "--param", "--sampling-param", "-p", "--sampling-param", "--vocab", "--vocab-size", "--gen", "--tokens",
            "--plugin-dir", "--plugins", "--threads-list", "--threads");

    /** Options shared by several commands, and the mixin that declares them. */
    static final Map<String, Class<?>> SHARED = shared();

    /** Where a command declares a shared name itself, and why it may. */
    static final Set<String> OWN = Set.of(
            "rill tokenize --tokenizer",        // required there, and nothing is trained
            "rill tokenize --tokenizer-param",
            "rill bench model --model");        // a GGUF file only, and required

    private static Map<String, Class<?>> shared() {
        Map<String, Class<?>> m = new LinkedHashMap<>();
        m.put("--plugins", PluginOptions.class);
        m.put("--model", ModelOptions.class);
        for (String n : List.of("--backend", "--backend-param")) m.put(n, BackendOptions.class);
        for (String n : List.of("--sampler", "--sampling-param")) m.put(n, SamplingOptions.class);
        for (String n : List.of("--tokenizer", "--tokenizer-param")) m.put(n, TokenizerOptions.class);
        for (String n : List.of("--n-layer", "--n-head", "--n-emb")) m.put(n, ModelShapeOptions.class);
        for (String n : List.of("--lr", "--min-lr", "--weight-decay", "--beta1", "--beta2", "--grad-clip", "--eval-interval", "--eval-batches")) {
            m.put(n, TrainingOptions.class);
        }
        return m;
    }

    static List<CommandLine> commands() {
        List<CommandLine> all = new ArrayList<>();
        collect(Rill.commandLine(), all);
        return all;
    }

    private static void collect(CommandLine cli, List<CommandLine> all) {
        all.add(cli);
        cli.getSubcommands().values().forEach(c -> collect(c, all));
    }

    private static boolean helpOption(OptionSpec o) {
        return o.usageHelp() || o.versionHelp();
    }

    @Test
    void theTreeHasEveryCommand() {
        Set<String> names = new TreeSet<>();
        for (CommandLine c : commands()) names.add(c.getCommandSpec().qualifiedName());
        for (String expected : List.of("rill serve", "rill train", "rill eval", "rill generate", "rill tokenize", "rill tokenizer train",
                "rill plugins", "rill bench train", "rill bench model", "rill bench tokenizer", "rill bench sampling", "rill bench serve",
                "rill bench positional", "rill bench attack")) {
            assertTrue(names.contains(expected), expected + " is missing from " + names);
        }
    }

    @Test
    void everyOptionHasADescriptionAndShowsItsDefault() {
        List<String> problems = new ArrayList<>();
        for (CommandLine c : commands()) {
            CommandSpec spec = c.getCommandSpec();
            assertTrue(spec.usageMessage().showDefaultValues(), spec.qualifiedName() + " shows default values");
            for (OptionSpec o : spec.options()) {
                if (helpOption(o)) continue;
                String where = spec.qualifiedName() + " " + o.longestName();
                String description = String.join(" ", o.description()).strip();
                if (description.isEmpty()) problems.add(where + ": no description");
                boolean flag = o.arity().max() == 0;
                boolean hasDefault = o.defaultValue() != null || (o.hasInitialValue() && o.initialValue() != null);
                String lower = description.toLowerCase(Locale.ROOT);
                boolean saysDefault = lower.contains("default") || lower.contains("(required");
                // Repeatable options default to none; a required one has no default to show.
                if (!flag && !o.required() && !o.isMultiValue() && !hasDefault && !saysDefault) problems.add(where + ": its default is not shown");
                if (description.contains("${DEFAULT-VALUE}")) problems.add(where + ": says its default twice (picocli adds it)");
                String shown = o.defaultValueString();
                if (shown != null && shown.contains("\n") && o.showDefaultValue() != CommandLine.Help.Visibility.NEVER) {
                    problems.add(where + ": its default spans lines; say it in words");
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void aNameMeansOneConceptAndAConceptHasOneName() {
        Map<String, Set<String>> namesOf = new LinkedHashMap<>();
        Map<String, String> firstSeen = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (CommandLine c : commands()) {
            String command = c.getCommandSpec().qualifiedName();
            for (OptionSpec o : c.getCommandSpec().options()) {
                Set<String> names = new TreeSet<>(List.of(o.names()));
                for (String n : names) {
                    if (RETIRED.containsKey(n)) problems.add(command + " " + n + ": elsewhere this is " + RETIRED.get(n));
                    Set<String> before = namesOf.putIfAbsent(n, names);
                    if (before != null && !before.equals(names)) {
                        problems.add(command + " spells " + n + " as " + names + ", " + firstSeen.get(n) + " as " + before);
                    }
                    firstSeen.putIfAbsent(n, command);
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void sharedOptionsAreDeclaredOnceInTheirMixin() {
        List<String> problems = new ArrayList<>();
        Map<String, Integer> uses = new LinkedHashMap<>();
        for (CommandLine c : commands()) {
            CommandSpec spec = c.getCommandSpec();
            for (OptionSpec o : spec.options()) {
                Class<?> mixin = SHARED.get(o.longestName());
                if (mixin == null) continue;
                uses.merge(o.longestName(), 1, Integer::sum);
                String where = spec.qualifiedName() + " " + o.longestName();
                boolean fromMixin = spec.mixins().values().stream()
                        .anyMatch(m -> mixin.isInstance(m.userObject()) && m.findOption(o.longestName()) != null);
                if (!fromMixin && !OWN.contains(where)) problems.add(where + " is declared in the command, not taken from " + mixin.getSimpleName());
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(uses.getOrDefault("--plugins", 0) >= 10, "--plugins is on every command that loads plugins: " + uses);
    }

    @Test
    void theSamplerOptionNamesTheRealDefaultChain() {
        OptionSpec sampler = Rill.commandLine().getSubcommands().get("generate").getCommandSpec().findOption("--sampler");
        assertTrue(String.join(" ", sampler.description()).contains(String.join(",", SamplerChain.DEFAULT)), sampler.description()[0]);
    }

    @Test
    void trainHelpShowsEveryDefault() {
        StringBuilder help = new StringBuilder(Rill.commandLine().getSubcommands().get("train").getUsageMessage());
        for (String shown : List.of("Default: 2000", "Default: 0.001", "Default: 1337", "Default: char", "Default: learned", "Default: 128")) {
            assertTrue(help.toString().contains(shown), shown + " in\n" + help);
        }
    }
}
