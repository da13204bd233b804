package dev.rill.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Rill's chat format for its own models, written like the play text the Shakespeare model learned:
 * each turn is a speaker name in capitals, a colon, a newline, the speech, and a blank line.
 * <pre>
 * SYSTEM:
 * You are a helpful assistant.
 *
 * USER:
 * Good morrow!
 *
 * ASSISTANT:
 * </pre>
 * The reply ends at the first blank line, where the play would give the next speaker the word
 * ({@link #END_OF_TURN} is the stop string). The server renders prompts with it and the trainer
 * fine-tunes on it, so a model learns exactly the text it is later prompted with.
 */
public final class PlainChat {

    public static final String NAME = "rill-plain";
    public static final String END_OF_TURN = "\n\n";

    /** A piece of a rendered conversation; {@code assistant} pieces are what the model learns to write. */
    public record Segment(String text, boolean assistant) {
    }

    private PlainChat() {
    }

    /** The prompt: every turn, then the header that opens the assistant's turn. */
    public static String render(List<Turn> turns) {
        StringBuilder sb = new StringBuilder();
        for (Turn t : turns) sb.append(turn(t.role(), t.content().strip()));
        return sb.append(header(Turn.ASSISTANT)).toString();
    }

    /** One turn as written: its speaker's header, the speech as given, the end of turn. */
    public static String turn(String speaker, String speech) {
        return header(speaker) + speech + END_OF_TURN;
    }

    /**
     * The whole conversation as training text, cut where the loss starts and stops counting: an
     * assistant turn's speech and its end of turn are assistant segments (the model must learn
     * to stop), everything else (headers, system and user turns) is context. Joined, the segments
     * are {@link #render} of every turn without the final open header.
     */
    public static List<Segment> segments(List<Turn> turns) {
        List<Segment> out = new ArrayList<>();
        StringBuilder context = new StringBuilder();
        for (Turn t : turns) {
            context.append(header(t.role()));
            String speech = t.content().strip() + END_OF_TURN;
            if (t.isAssistant()) {
                out.add(new Segment(context.toString(), false));
                context.setLength(0);
                out.add(new Segment(speech, true));
            } else {
                context.append(speech);
            }
        }
        if (!context.isEmpty()) out.add(new Segment(context.toString(), false));
        return out;
    }

    /** What opens a turn of {@code speaker} (a role, or another name such as the server's {@code TOOLS}). */
    public static String header(String role) {
        return role.toUpperCase(Locale.ROOT) + ":\n";
    }
}
