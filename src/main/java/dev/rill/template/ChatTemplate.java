package dev.rill.template;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.rill.spi.ModelFile;
import dev.rill.spi.Vocabulary;
import jinjava.javax.el.CompositeELResolver;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A model's chat template: the Jinja source from {@code tokenizer.chat_template} rendered with
 * Jinjava (a Jinja engine for Java), given {@code messages}, {@code add_generation_prompt},
 * {@code bos_token} and {@code eos_token} as Hugging Face's {@code apply_chat_template} does.
 * Files without a template get a built-in one chosen by the vocabulary: Llama 3 headers, or ChatML.
 */
public final class ChatTemplate {

    /** One chat turn. */
    public record Message(String role, String content) {
    }

    /** Meta's Llama 3 instruct template (as shipped in its tokenizer_config.json). */
    public static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    /** ChatML (Qwen, SmolLM and many others). */
    public static final String CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    private final String name;
    private final String source;
    private final String bosToken, eosToken;
    private final Jinjava jinjava;

    private ChatTemplate(String name, String source, String bosToken, String eosToken) {
        this.name = name;
        this.source = pythonSlices(source);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        // Python's Jinja as Hugging Face runs it: trim and lstrip blocks, Python operator precedence,
        // Python string methods on values.
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withFailOnUnknownTokens(false).withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder().withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true).withUseTrimmingForNotesAndExpressions(true).build())
                .build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFilter(new PythonToJson());
    }

    /**
     * Source fixes for Jinjava's parser: it reads {@code [a:b]} but not a step, so the reversing
     * slice {@code [::-1]} becomes the {@code reverse} filter; and it binds {@code k=v} tighter than
     * operators in {@code v}, so keyword arguments' values get parentheses.
     */
    static String pythonSlices(String src) {
        return parenthesizeKeywordArguments(src.replace("[::-1]", "|reverse"));
    }

    /** {@code f(a=x - 1, b=y)} → {@code f(a=(x - 1), b=(y))}, inside Jinja tags only, strings left alone. */
    static String parenthesizeKeywordArguments(String src) {
        StringBuilder out = new StringBuilder(src.length() + 16);
        int i = 0, n = src.length();
        while (i < n) {
            int open = indexOfTag(src, i);
            if (open < 0) {
                out.append(src, i, n);
                break;
            }
            String close = src.charAt(open + 1) == '{' ? "}}" : "%}";
            int end = endOfTag(src, open + 2, close);
            out.append(src, i, open + 2);
            out.append(rewriteExpression(src.substring(open + 2, end)));
            i = end;
        }
        return out.toString();
    }

    private static int indexOfTag(String s, int from) {
        int a = s.indexOf("{{", from), b = s.indexOf("{%", from);
        return a < 0 ? b : b < 0 ? a : Math.min(a, b);
    }

    private static int endOfTag(String s, int from, String close) {
        char quote = 0;
        for (int i = from; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (s.startsWith(close, i)) {
                return i;
            }
        }
        return s.length();
    }

    private static String rewriteExpression(String e) {
        StringBuilder out = new StringBuilder(e.length() + 8);
        // Stack of open brackets; for each '(' whether a keyword value is open inside it.
        java.util.ArrayDeque<int[]> stack = new java.util.ArrayDeque<>();
        char quote = 0;
        for (int i = 0; i < e.length(); i++) {
            char c = e.charAt(i);
            if (quote != 0) {
                out.append(c);
                if (c == '\\' && i + 1 < e.length()) out.append(e.charAt(++i));
                else if (c == quote) quote = 0;
                continue;
            }
            switch (c) {
                case '\'', '"' -> {
                    quote = c;
                    out.append(c);
                }
                case '(', '[', '{' -> {
                    stack.push(new int[]{c, 0});
                    out.append(c);
                }
                case ')', ']', '}' -> {
                    int[] top = stack.poll();
                    if (top != null && top[1] == 1) out.append(')');
                    out.append(c);
                }
                case ',' -> {
                    int[] top = stack.peek();
                    if (top != null && top[1] == 1) {
                        out.append(')');
                        top[1] = 0;
                    }
                    out.append(c);
                }
                case '=' -> {
                    int[] top = stack.peek();
                    boolean comparison = (i + 1 < e.length() && e.charAt(i + 1) == '=') || (i > 0 && "=!<>".indexOf(e.charAt(i - 1)) >= 0);
                    if (!comparison && top != null && top[0] == '(' && top[1] == 0 && keywordBefore(out)) {
                        out.append("=(");
                        top[1] = 1;
                    } else {
                        out.append(c);
                        if (comparison && i + 1 < e.length() && e.charAt(i + 1) == '=') out.append(e.charAt(++i));
                    }
                }
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** Whether the text before '=' ends with {@code ( name} or {@code , name}. */
    private static boolean keywordBefore(StringBuilder out) {
        int j = out.length() - 1;
        while (j >= 0 && out.charAt(j) == ' ') j--;
        int end = j;
        while (j >= 0 && (Character.isLetterOrDigit(out.charAt(j)) || out.charAt(j) == '_')) j--;
        if (j == end) return false;
        while (j >= 0 && out.charAt(j) == ' ') j--;
        return j >= 0 && (out.charAt(j) == '(' || out.charAt(j) == ',');
    }

    /** Called by templates that reject a conversation (e.g. roles out of order). */
    public static String raiseException(String message) {
        throw new IllegalArgumentException("the chat template rejects this conversation: " + message);
    }

    /**
     * The template of a GGUF model: its own {@code tokenizer.chat_template} when present, else a
     * built-in one matching its vocabulary.
     */
    public static ChatTemplate of(ModelFile f, Vocabulary vocab) {
        String bos = vocab.bos() >= 0 ? vocab.piece(vocab.bos()) : "";
        String eos = vocab.eos() >= 0 ? vocab.piece(vocab.eos()) : "";
        String src = f.getString("tokenizer.chat_template", null);
        if (src != null && !src.isBlank()) return new ChatTemplate("gguf", src, bos, eos);
        return vocab.specialTokens().containsKey("<|start_header_id|>") ? new ChatTemplate("llama3", LLAMA3, bos, eos)
                : new ChatTemplate("chatml", CHATML, bos, eos);
    }

    public static ChatTemplate of(String name, String source, String bosToken, String eosToken) {
        return new ChatTemplate(name, source, bosToken, eosToken);
    }

    /** Whether the template renders the {@code tools} it is given (else they must be described in a system turn). */
    public boolean knowsTools() {
        return source.contains("tools");
    }

    /** {@code gguf} (the file's own), {@code llama3} or {@code chatml}. */
    public String name() {
        return name;
    }

    public String source() {
        return source;
    }

    /**
     * The prompt text for {@code messages}; with {@code addGenerationPrompt}, ending where the
     * assistant's reply begins.
     *
     * @throws IllegalArgumentException when the template fails or rejects the conversation
     */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> mm = new LinkedHashMap<>();
            mm.put("role", m.role());
            mm.put("content", m.content());
            msgs.add(mm);
        }
        return render(msgs, null, addGenerationPrompt);
    }

    /**
     * As {@link #render(List, boolean)}, with messages as Hugging Face passes them (keys {@code role},
     * {@code content}, {@code tool_calls}, {@code tool_call_id}, {@code name}) and the {@code tools} the
     * model may call ({@code [{"type": "function", "function": {name, description, parameters}}]};
     * {@code null}: none).
     */
    public String render(List<Map<String, Object>> msgs, List<Map<String, Object>> tools, boolean addGenerationPrompt) {
        Map<String, Object> ctx = new HashMap<>();
        if (tools != null) ctx.put("tools", tools);
        ctx.put("messages", msgs);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", bosToken);
        ctx.put("eos_token", eosToken);
        RenderResult r;
        try {
            r = jinjava.renderForResult(source, ctx);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            Throwable c = e;
            while (c.getCause() != null && c.getCause() != c) c = c.getCause();
            if (c instanceof IllegalArgumentException iae && iae.getMessage() != null && iae.getMessage().startsWith("the chat template")) throw iae;
            throw new IllegalArgumentException("chat template '" + name + "' failed: " + c.getMessage(), e);
        }
        List<TemplateError> fatal = r.getErrors().stream().filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
        if (!fatal.isEmpty()) {
            for (TemplateError e : fatal) {
                if (e.getException() != null) {
                    Throwable c = e.getException();
                    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
                    if (c instanceof IllegalArgumentException iae && iae.getMessage() != null && iae.getMessage().startsWith("the chat template")) throw iae;
                }
            }
            throw new IllegalArgumentException("chat template '" + name + "' failed: "
                    + fatal.stream().map(e -> e.getMessage() + " (line " + e.getLineno() + ")").collect(Collectors.joining("; ")));
        }
        return r.getOutput();
    }
}
