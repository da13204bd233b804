package dev.rill.hub;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model on the Hugging Face Hub, as users write it: {@code OWNER/REPO} (the repository's
 * preferred quantization), {@code OWNER/REPO:QUANT} (a quantization such as {@code Q4_K_M} or
 * {@code Q8_0}, matched against the repository's {@code .gguf} file names), or
 * {@code OWNER/REPO/PATH.gguf} (one file). A leading {@code hf.co/}, {@code huggingface.co/} or
 * {@code hf://} is accepted, as llama.cpp and Ollama write them.
 *
 * @param repo  {@code OWNER/REPO}
 * @param quant the quantization asked for, or {@code null}
 * @param file  the file path inside the repository, or {@code null}
 */
public record HubRef(String repo, String quant, String file) {

    private static final String NAME = "[A-Za-z0-9][A-Za-z0-9._-]{0,95}";
    private static final Pattern REPO_QUANT = Pattern.compile("(" + NAME + "/" + NAME + ")(?::([A-Za-z0-9._-]{1,40}))?");
    private static final Pattern REPO_FILE = Pattern.compile("(" + NAME + "/" + NAME + ")/((?:" + NAME + "/)*" + NAME + "\\.gguf)");

    /** The reference {@code spec} denotes, if it is written like one. */
    public static Optional<HubRef> parse(String spec) {
        if (spec == null) return Optional.empty();
        String s = spec.trim();
        for (String prefix : new String[]{"hf://", "https://huggingface.co/", "huggingface.co/", "hf.co/"}) {
            if (s.startsWith(prefix)) {
                s = s.substring(prefix.length());
                break;
            }
        }
        Matcher f = REPO_FILE.matcher(s);
        if (f.matches() && !s.contains("..")) return Optional.of(new HubRef(f.group(1), null, f.group(2)));
        Matcher q = REPO_QUANT.matcher(s);
        if (q.matches() && !s.contains("..")) return Optional.of(new HubRef(q.group(1), q.group(2), null));
        return Optional.empty();
    }

    /**
     * Whether a file of the repository is the quantization {@code quant}: its name (without
     * {@code .gguf}) has it as a part between separators (a quantization may hold underscores, so none may follow it), in any case ({@code Q4_K_M} matches
     * {@code Llama-3.2-1B-Instruct-Q4_K_M.gguf} and {@code model.q4_k_m.gguf}).
     */
    public static boolean isQuant(String fileName, String quant) {
        String base = fileName.substring(fileName.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT).replaceFirst("\\.gguf$", "");
        String q = Pattern.quote(quant.toLowerCase(Locale.ROOT));
        return Pattern.compile("(^|[-_.])" + q + "($|[-.])").matcher(base).find();
    }

    @Override
    public String toString() {
        return repo + (quant != null ? ":" + quant : "") + (file != null ? "/" + file : "");
    }
}
