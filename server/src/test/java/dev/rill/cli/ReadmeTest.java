package dev.rill.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README (and the other Markdown files of the repository) against the repository: every
 * command of the command line is in the README's command table and nothing else is; every link
 * leads to a file (and heading) that exists, and so does every repository path the README and
 * docs/ name in code spans.
 */
class ReadmeTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();   // tests run in server/
    static final Path README = ROOT.resolve("README.md");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern CODE = Pattern.compile("`([^`\\s]+)`");

    /** The commands in the first column of the table under "| command |", without their options. */
    static Set<String> commandTable() throws IOException {
        List<String> lines = Files.readAllLines(README);
        int i = 0;
        while (i < lines.size() && !lines.get(i).startsWith("| command |")) i++;
        assertTrue(i < lines.size(), "the README has no command table");
        Set<String> listed = new TreeSet<>();
        for (i += 2; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String cell = lines.get(i).split("\\|")[1].strip();
            assertTrue(cell.startsWith("`") && cell.endsWith("`"), "a command in backticks: " + lines.get(i));
            listed.add(cell.replace("`", "").replaceAll("\\s+--.*", "").strip());
        }
        return listed;
    }

    @Test
    void theCommandTableListsEveryCommandAndNoOther() throws IOException {
        Set<String> commands = new TreeSet<>();
        for (CommandLine c : CommandTreeTest.commands()) {
            if (c.getSubcommands().isEmpty()) commands.add(c.getCommandSpec().qualifiedName().substring("rill ".length()));
        }
        assertEquals(commands, commandTable());
    }

    static List<Path> markdownFiles() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT)) {
            return files.filter(p -> p.toString().endsWith(".md"))
                    .filter(p -> Stream.of("target", "node_modules", ".git").noneMatch(skip -> ROOT.relativize(p).toString().contains(skip)))
                    .sorted().toList();
        }
    }

    @Test
    void linksAndRepositoryPathsLeadToWhatExists() throws IOException {
        Set<String> topLevel = new TreeSet<>();
        try (Stream<Path> entries = Files.list(ROOT)) {
            entries.map(p -> p.getFileName().toString()).filter(n -> !n.equals("target") && !n.equals(".git")).forEach(topLevel::add);
        }
        List<String> broken = new ArrayList<>();
        List<Path> files = markdownFiles();
        assertTrue(files.contains(README), files.toString());
        for (Path md : files) {
            String text = Files.readString(md);
            String where = ROOT.relativize(md).toString();
            Matcher link = LINK.matcher(text);
            while (link.find()) {
                String target = link.group(1);
                if (target.matches("[a-z]+:.*")) continue;   // http:, https:, mailto:
                String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
                String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
                Path resolved = file.isEmpty() ? md : md.getParent().resolve(file).normalize();
                if (!Files.exists(resolved)) broken.add(where + ": link to " + target + ": no such file");
                else if (anchor != null && resolved.toString().endsWith(".md") && !headings(resolved).contains(anchor)) {
                    broken.add(where + ": link to " + target + ": no such heading");
                }
            }
            // Paths in code spans: in the README and docs/ (elsewhere they may name other repositories' files).
            boolean ours = md.equals(README) || ROOT.relativize(md).startsWith("docs");
            Matcher code = CODE.matcher(text);
            while (ours && code.find()) {
                String path = code.group(1).replaceAll("[.,:;]$", "");
                int slash = path.indexOf('/');
                if (slash <= 0 || !topLevel.contains(path.substring(0, slash))) continue;
                // Placeholders, patterns and build output are not repository paths.
                if (path.matches(".*[<>{}*…].*|.*\\.\\.\\..*") || path.contains("/target/") || path.contains("node_modules")) continue;
                if (!Files.exists(ROOT.resolve(path))) broken.add(where + ": `" + path + "` does not exist");
            }
        }
        assertEquals(List.of(), broken);
    }

    /** GitHub's anchors of a Markdown file's headings. */
    static Set<String> headings(Path md) throws IOException {
        Set<String> anchors = new TreeSet<>();
        boolean fenced = false;
        for (String line : Files.readAllLines(md)) {
            if (line.startsWith("```")) fenced = !fenced;
            if (fenced || !line.matches("#{1,6} .*")) continue;
            String title = line.replaceFirst("#+ ", "").strip().toLowerCase(Locale.ROOT);
            anchors.add(title.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
        }
        return anchors;
    }
}
