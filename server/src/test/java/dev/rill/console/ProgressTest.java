package dev.rill.console;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The progress shown for long work: lines in a log, a bar on a terminal. */
class ProgressTest {

    @Test
    void aLogGetsALineEveryTwoPercentAndTheLast() {
        List<String> lines = new ArrayList<>();
        Progress p = new Progress("step", false, null, lines::add, 0);
        for (int k = 1; k <= 1000; k++) p.update(k, 1000, "loss 1.5");
        assertEquals(50, lines.size(), String.join("\n", lines));
        assertTrue(lines.getFirst().startsWith("step 20/1000: loss 1.5, "), lines.getFirst());
        assertTrue(lines.getLast().startsWith("step 1000/1000: loss 1.5, ") && lines.getLast().endsWith("s elapsed"), lines.getLast());
        assertTrue(lines.get(10).startsWith("step 220/1000: ") && lines.get(10).contains("ETA "), lines.get(10));
    }

    @Test
    void quickWorkPrintsNothingInALog() {
        List<String> lines = new ArrayList<>();
        Progress p = new Progress("eval", false, null, lines::add, 60);
        for (int k = 1; k <= 100; k++) p.accept(k / 100.0);
        assertEquals(List.of(), lines);
    }

    @Test
    void slowWorkIsToldNoOftenerThanTheGap() throws InterruptedException {
        List<String> lines = new ArrayList<>();
        Progress p = new Progress("loading m.gguf", false, null, lines::add, 0.05);
        for (int k = 1; k <= 10; k++) {
            Thread.sleep(30);
            p.accept(k / 10.0);
        }
        // A line at most every 50 ms over ~300 ms of work, the last one included.
        assertTrue(lines.size() >= 3 && lines.size() <= 7, lines.toString());
        assertTrue(lines.getLast().startsWith("loading m.gguf 100%"), lines.getLast());
    }

    @Test
    void aTerminalGetsOneBarRedrawnInPlaceAndClearedForOtherLines() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream terminal = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>();
        Progress p = new Progress("eval", true, terminal, lines::add, 0);
        p.accept(0.5);
        String drawn = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(drawn.startsWith("\reval  50% [============            ]  ETA "), drawn);
        assertFalse(drawn.contains("\n"), "the bar stays on one line");
        bytes.reset();
        p.println(terminal, "a line of its own");
        String cleared = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(cleared.startsWith("\r" + " ".repeat(drawn.length() - 1) + "\r") && cleared.endsWith("a line of its own\n"), cleared);
        assertEquals(List.of(), lines, "no log lines on a terminal");
    }
}
