package dev.rill.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.chat.PlainChat;
import dev.rill.chat.Turn;
import dev.rill.model.Checkpoint;
import dev.rill.model.Gpt;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.ComputeBackend;
import dev.rill.tensor.Parallel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Supervised fine-tuning on conversations with the real plugins: the assistant-token mask, a run from a base, bad input, cancel. */
class FineTuningTest {

    @TempDir
    static Path dir;
    static Path base;
    static final PluginRegistry REGISTRY = PluginRegistry.load();
    static final int T = 96;

    static Trainer trainer(TrainingListener listener) {
        return new Trainer(REGISTRY, listener, REGISTRY.get(ComputeBackend.class, "cpu"), Parallel.defaultThreads());
    }

    /** A tiny character-level base model with a context long enough for a short chat. */
    @BeforeAll
    static void trainBase() throws Exception {
        base = dir.resolve("base");
        trainer(null).train(new TrainConfig(TinyModels.text(dir, 20_000), base, "char", Map.of(), "learned", Map.of(),
                1, 2, 16, T, 0, 2, 3, 3e-3, 3e-4, 1, 0.1, 0.9, 0.99, 1.0, 3, 1, 0, 10, 3, 42, 0.1));
    }

    static ChatData.Conversation chat(String... turns) {
        List<Turn> list = new ArrayList<>();
        for (int i = 0; i < turns.length; i++) list.add(new Turn(i % 2 == 0 ? "user" : "assistant", turns[i]));
        return new ChatData.Conversation(1, list);
    }

    static double loss(Checkpoint.Loaded m, ChatData.Conversation c) {
        return Evaluation.chatLoss(m.model(), m.vocabulary(), List.of(c), 4, "test").loss();
    }

    /**
     * The loss counts the assistant's tokens only: a user turn that no assistant token comes after
     * (causal attention cannot see it) leaves the loss bit for bit as it was; a user turn before
     * the reply changes it (the reply is predicted from it), so the comparison can fail.
     */
    @Test
    void changingOnlyUserTokensLeavesTheLossUnchanged() throws Exception {
        Checkpoint.Loaded m = Checkpoint.load(base, REGISTRY);
        double a = loss(m, chat("Good morrow.", "How now, my lord?", "Farewell."));
        double b = loss(m, chat("Good morrow.", "How now, my lord?", "Go away!!"));
        double c = loss(m, chat("Good evening", "How now, my lord?", "Farewell."));
        assertEquals(a, b, 0.0, "only the trailing user turn changed");
        assertNotEquals(a, c, "the user turn the reply follows changed");
    }

    /** The masked loss against an independent computation: −log softmax of the full logits at the reply's characters only. */
    @Test
    void theLossIsTheMeanOverTheAssistantsCharactersAndTheirEndOfTurn() throws Exception {
        Checkpoint.Loaded m = Checkpoint.load(base, REGISTRY);
        ChatData.Conversation c = chat("What is thy name?", "Romeo.", "And thine?", "Juliet, sir.");
        StringBuilder text = new StringBuilder();
        List<Integer> counted = new ArrayList<>();
        for (PlainChat.Segment s : PlainChat.segments(c.turns())) {
            for (int k = 0; k < s.text().length(); k++) if (s.assistant()) counted.add(text.length() + k);
            text.append(s.text());
        }
        int[] tokens = m.vocabulary().encode(text.toString());
        assertEquals(text.length(), tokens.length, "one token per character");
        Gpt gpt = m.model();
        int n = tokens.length - 1, V = gpt.config.nVocab();
        gpt.forward(java.util.Arrays.copyOf(tokens, n), null, 1, n);
        float[] logits = gpt.logits();
        double sum = 0;
        for (int p : counted) {
            int o = (p - 1) * V;
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int v = 0; v < V; v++) max = Math.max(max, logits[o + v]);
            for (int v = 0; v < V; v++) z += Math.exp(logits[o + v] - max);
            sum += Math.log(z) + max - logits[o + tokens[p]];
        }
        assertEquals("Romeo.\n\nJuliet, sir.\n\n".length(), counted.size());
        assertEquals(sum / counted.size(), loss(m, c), 1e-5);
    }

    static Path chats(String name, int n) throws Exception {
        ObjectMapper json = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        String[] names = {"Romeo", "Juliet", "Tybalt", "Mercutio", "Benvolio", "Paris", "Escalus", "Nurse"};
        for (int i = 0; i < n; i++) {
            String who = names[i % names.length];
            var line = json.createObjectNode();
            var msgs = line.putArray("messages");
            msgs.addObject().put("role", "user").put("content", "Who art thou, " + i + "?");
            msgs.addObject().put("role", "assistant").put("content", "I am " + who + ".");
            if (i % 3 == 0) {
                msgs.addObject().put("role", "user").put("content", "Whence?");
                msgs.addObject().put("role", "assistant").put("content", "From Verona.");
            }
            sb.append(json.writeValueAsString(line)).append('\n');
        }
        return Files.writeString(dir.resolve(name), sb.toString());
    }

    static TrainConfig sft(Path data, Path out, int steps) {
        return new TrainConfig(data, out, "char", Map.of(), "learned", Map.of(), 1, 1, 8, 8, 0, 4,
                steps, 3e-3, 3e-4, 2, 0.0, 0.9, 0.99, 1.0, 10, 1, steps, 20, steps, 7, 0.2, base, true);
    }

    @Test
    void aFineTuningRunFromABaseReportsTheHeldOutLossBeforeAndAfterAndLearnsTheReplies() throws Exception {
        Path data = chats("chats.jsonl", 20);
        Path out = dir.resolve("sft");
        List<double[]> evals = new ArrayList<>();
        List<String> samples = new ArrayList<>();
        TrainingListener.Start[] start = new TrainingListener.Start[1];
        Trainer.Result r = trainer(new TrainingListener() {
            @Override
            public void started(Start s) {
                start[0] = s;
            }

            @Override
            public void evaluated(int step, double trainLoss, double valLoss) {
                evals.add(new double[]{step, trainLoss, valLoss});
            }

            @Override
            public void sampled(int step, String text) {
                samples.add(text);
            }
        }).train(sft(data, out, 30));
        assertTrue(start[0].sft());
        assertEquals(0, evals.getFirst()[0], "the first evaluation is before step 1");
        assertTrue(Double.isNaN(evals.getFirst()[1]));
        assertEquals(List.of(0.0, 10.0, 20.0, 30.0), evals.stream().map(e -> e[0]).toList());
        assertTrue(evals.getLast()[2] < evals.getFirst()[2], "held-out loss went down: " + evals.stream().map(e -> e[2]).toList());
        assertEquals(evals.getLast()[2], r.valLoss());
        // The base model's architecture and tokenizer, whatever the config said (1 layer, width 8, T 8).
        Checkpoint.Loaded tuned = Checkpoint.load(out, REGISTRY);
        Checkpoint.Loaded before = Checkpoint.load(base, REGISTRY);
        assertEquals(before.model().config, tuned.model().config);
        // 20 conversations with distinct openings: 4 held out (20 %), written beside the checkpoint.
        List<ChatData.Conversation> held = ChatData.parse(Files.readString(out.resolve(Trainer.HELD_OUT)), "heldout");
        assertEquals(4, held.size());
        assertEquals(r.valLoss(), Evaluation.chatLoss(tuned.model(), tuned.vocabulary(), held, 4, "heldout").loss(), 1e-5,
                "rill eval --sft on the held-out file gives the run's figure");
        // The sample answers the first held-out prompt.
        assertTrue(samples.getLast().startsWith(PlainChat.render(held.getFirst().turns().subList(0, 1))), samples.getLast());
    }

    @Test
    void badFineTuningInputGetsOneLineNamingIt() throws Exception {
        Path one = Files.writeString(dir.resolve("one.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}\n");
        var e = assertThrows(IllegalArgumentException.class, () -> trainer(null).train(sft(one, dir.resolve("x"), 2)));
        assertTrue(e.getMessage().contains("holds 1 conversation") && e.getMessage().contains("needs at least 2"), e.getMessage());
        String longTurn = "thou ".repeat(30);
        Path tooLong = Files.writeString(dir.resolve("long.jsonl"), Files.readString(chats("c.jsonl", 3))
                + "{\"messages\": [{\"role\": \"user\", \"content\": \"" + longTurn + "\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}\n");
        e = assertThrows(IllegalArgumentException.class, () -> trainer(null).train(sft(tooLong, dir.resolve("x"), 2)));
        assertTrue(e.getMessage().contains("line 4: the conversation is 171 tokens, longer than the model's context T+1 = 97"), e.getMessage());
        assertTrue(!Files.exists(dir.resolve("x")), "nothing written");
    }

    @Test
    void cancelStopsBeforeTheNextStep() throws Exception {
        List<Integer> steps = new ArrayList<>();
        Trainer[] trainer = new Trainer[1];
        trainer[0] = trainer(new TrainingListener() {
            @Override
            public void stepped(Step s) {
                steps.add(s.step());
                if (s.step() == 2) trainer[0].cancel();
            }
        });
        Trainer.Result r = trainer[0].train(sft(chats("cancel.jsonl", 10), dir.resolve("cancelled"), 50));
        assertTrue(r.cancelled());
        assertEquals(2, r.steps());
        assertEquals(List.of(1, 2), steps);
    }
}
