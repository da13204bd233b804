package dev.rill.train;

import dev.rill.chat.PlainChat;
import dev.rill.chat.Turn;
import dev.rill.model.Gpt;
import dev.rill.nn.CrossEntropy;
import dev.rill.spi.Vocabulary;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Conversations as fine-tuning data. Each is rendered in the chat format the server prompts the
 * model with ({@link PlainChat}) and tokenized piece by piece, marking the tokens of the assistant's
 * turns: only those are targets, every other target is {@link CrossEntropy#IGNORE}.
 *
 * <p>A seeded split holds out {@code valFraction} of the conversations; conversations that open with
 * the same user message stay on the same side, so a held-out prompt is never trained on. Each step
 * packs whole training conversations, drawn at random, into the {@code nBatch} rows of {@code T}
 * tokens (the rest of a row is padding whose targets are ignored). The validation loss is the mean
 * over every assistant token of the held-out conversations, each alone from position 0 as a chat
 * starts.
 */
final class ChatExamples implements TrainingData {

    private static final long SPLIT_STREAM = -7L;
    private static final int MISSES_PER_ROW = 8;

    /** A tokenized conversation: {@code assistant[i]} says whether token {@code i} is one the model learns to write. */
    record Example(ChatData.Conversation conversation, int[] tokens, boolean[] assistant) {
    }

    private final List<Example> train, heldOut;
    private final int T, B, nTrain, nVal;
    private final long seed;

    ChatExamples(List<ChatData.Conversation> conversations, Vocabulary vocab, TrainConfig config, int T) {
        this.T = T;
        this.B = config.nBatch();
        this.seed = config.seed();
        String source = String.valueOf(config.data());
        if (conversations.size() < 2) {
            throw new IllegalArgumentException(source + " holds " + conversations.size() + " conversation; fine-tuning holds out "
                    + Math.round(config.valFraction() * 100) + "% of them for validation, so it needs at least 2");
        }
        List<Example> all = new ArrayList<>();
        for (ChatData.Conversation c : conversations) all.add(tokenize(c, vocab, T, source));
        List<Example>[] split = split(all, config.valFraction(), seed);
        train = split[0];
        heldOut = split[1];
        if (train.isEmpty()) {
            throw new IllegalArgumentException(source + ": every conversation opens with the same user message, so none is left for training after holding some out for validation");
        }
        nTrain = train.stream().mapToInt(e -> e.tokens.length).sum();
        nVal = heldOut.stream().mapToInt(e -> e.tokens.length).sum();
    }

    /** As {@link #tokenize(ChatData.Conversation, Vocabulary)}, failing with the line number when it is longer than the context. */
    static Example tokenize(ChatData.Conversation c, Vocabulary vocab, int T, String source) {
        Example e = tokenize(c, vocab);
        if (e.tokens.length > T + 1) {
            throw new IllegalArgumentException(source + " line " + c.line() + ": the conversation is " + e.tokens.length
                    + " tokens, longer than the model's context T+1 = " + (T + 1) + "; split it into shorter conversations");
        }
        return e;
    }

    /** The conversation rendered and tokenized segment by segment, with its assistant mask. */
    static Example tokenize(ChatData.Conversation c, Vocabulary vocab) {
        List<int[]> parts = new ArrayList<>();
        List<Boolean> flags = new ArrayList<>();
        int n = 0;
        for (PlainChat.Segment s : PlainChat.segments(c.turns())) {
            int[] ids = vocab.encode(s.text());
            parts.add(ids);
            flags.add(s.assistant());
            n += ids.length;
        }
        int[] tokens = new int[n];
        boolean[] assistant = new boolean[n];
        int at = 0;
        for (int k = 0; k < parts.size(); k++) {
            int[] ids = parts.get(k);
            System.arraycopy(ids, 0, tokens, at, ids.length);
            if (flags.get(k)) Arrays.fill(assistant, at, at + ids.length, true);
            at += ids.length;
        }
        return new Example(c, tokens, assistant);
    }

    /** [training, held out]: whole groups of conversations with the same opening user message, in a seeded order. */
    @SuppressWarnings("unchecked")
    static List<Example>[] split(List<Example> all, double valFraction, long seed) {
        Map<String, List<Example>> groups = new LinkedHashMap<>();
        for (Example e : all) groups.computeIfAbsent(opening(e.conversation.turns()), k -> new ArrayList<>()).add(e);
        List<String> keys = new ArrayList<>(groups.keySet());
        SplittableRandom random = new SplittableRandom(Batches.mix(seed, SPLIT_STREAM));
        for (int i = keys.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            String t = keys.get(i);
            keys.set(i, keys.get(j));
            keys.set(j, t);
        }
        double target = valFraction * all.size();
        List<Example> held = new ArrayList<>();
        java.util.Set<String> heldKeys = new java.util.HashSet<>();
        for (String k : keys) {
            if (held.size() >= target) break;
            held.addAll(groups.get(k));
            heldKeys.add(k);
        }
        List<Example> train = new ArrayList<>(), heldInOrder = new ArrayList<>();
        for (Example e : all) (heldKeys.contains(opening(e.conversation.turns())) ? heldInOrder : train).add(e);
        return new List[]{List.copyOf(train), List.copyOf(heldInOrder)};
    }

    private static String opening(List<Turn> turns) {
        for (Turn t : turns) if (t.role().equals(Turn.USER)) return t.content().strip();
        return "";
    }

    List<Example> heldOut() {
        return heldOut;
    }

    List<Example> train() {
        return train;
    }

    @Override
    public int trainTokens() {
        return nTrain;
    }

    @Override
    public int valTokens() {
        return nVal;
    }

    /** Packs randomly drawn whole conversations into each row until the next one drawn does not fit {@link #MISSES_PER_ROW} times. */
    @Override
    public void draw(int step, int[] x, int[] y) {
        SplittableRandom random = new SplittableRandom(Batches.mix(seed, step));
        int[] row = new int[T + 1];
        boolean[] counts = new boolean[T + 1];
        for (int b = 0; b < B; b++) {
            int used = 0, misses = 0;
            while (misses < MISSES_PER_ROW && used < T + 1) {
                Example e = train.get(random.nextInt(train.size()));
                if (used + e.tokens.length > T + 1) {
                    misses++;
                    continue;
                }
                System.arraycopy(e.tokens, 0, row, used, e.tokens.length);
                System.arraycopy(e.assistant, 0, counts, used, e.tokens.length);
                used += e.tokens.length;
            }
            fillRow(row, counts, used, T, x, y, b * T);
        }
    }

    /** Inputs {@code row[0..T)} (0 past {@code used}) and targets {@code row[t+1]} where it counts, else IGNORE. */
    private static void fillRow(int[] row, boolean[] counts, int used, int T, int[] x, int[] y, int at) {
        for (int t = 0; t < T; t++) {
            x[at + t] = t < used ? row[t] : 0;
            y[at + t] = t + 1 < used && counts[t + 1] ? row[t + 1] : CrossEntropy.IGNORE;
        }
    }

    /** Mean cross-entropy over every assistant token of the held-out conversations, each alone in its row. */
    @Override
    public double validationLoss(Gpt model) {
        return assistantLoss(model, heldOut, B).loss();
    }

    /**
     * Mean cross-entropy over every assistant token of {@code examples}, each alone in its row from
     * position 0 (as a chat starts), {@code B} rows at a time.
     */
    static Evaluation.Result assistantLoss(Gpt model, List<Example> examples, int B) {
        if (examples.isEmpty()) return new Evaluation.Result(Double.NaN, 0, 0);
        int L = Math.max(1, examples.stream().mapToInt(e -> e.tokens.length - 1).max().orElse(1));
        int[] x = new int[B * L], y = new int[B * L];
        double sum = 0;
        long counted = 0;
        for (int i0 = 0; i0 < examples.size(); i0 += B) {
            for (int b = 0; b < B; b++) {
                if (i0 + b < examples.size()) {
                    Example e = examples.get(i0 + b);
                    fillRow(e.tokens, e.assistant, e.tokens.length, L, x, y, b * L);
                } else {
                    Arrays.fill(x, b * L, (b + 1) * L, 0);
                    Arrays.fill(y, b * L, (b + 1) * L, CrossEntropy.IGNORE);
                }
            }
            int n = CrossEntropy.counted(y, y.length);
            if (n == 0) continue;
            sum += model.forward(x, y, B, L) * n;
            counted += n;
        }
        return new Evaluation.Result(counted == 0 ? Double.NaN : sum / counted, examples.size(), counted);
    }

    /** The first held-out conversation up to its first reply: the sample shows how the model answers a prompt it never saw. */
    @Override
    public String samplePrompt() {
        List<Turn> turns = (heldOut.isEmpty() ? train : heldOut).getFirst().conversation().turns();
        List<Turn> prompt = new ArrayList<>();
        for (Turn t : turns) {
            if (t.isAssistant()) break;
            prompt.add(t);
        }
        return PlainChat.render(prompt);
    }

    @Override
    public List<String> sampleStop() {
        return List.of(PlainChat.END_OF_TURN);
    }
}
