package dev.rill.server.openai;

import dev.rill.generate.GeneratedToken;
import dev.rill.generate.GenerationResult;
import dev.rill.sampling.TokenLogprobs;
import dev.rill.server.chat.ToolCall;
import dev.rill.server.chat.ToolSyntax;
import dev.rill.server.openai.OpenAiResponses.AssistantMessage;
import dev.rill.server.openai.OpenAiResponses.ChatChoice;
import dev.rill.server.openai.OpenAiResponses.ChatLogprobs;
import dev.rill.server.openai.OpenAiResponses.ChunkChoice;
import dev.rill.server.openai.OpenAiResponses.CompletionLogprobs;
import dev.rill.server.openai.OpenAiResponses.Delta;
import dev.rill.server.openai.OpenAiResponses.DeltaToolCall;
import dev.rill.server.openai.OpenAiResponses.FunctionCall;
import dev.rill.server.openai.OpenAiResponses.LogprobEntry;
import dev.rill.server.openai.OpenAiResponses.TextChoice;
import dev.rill.server.openai.OpenAiResponses.ToolCallOut;
import dev.rill.server.openai.OpenAiResponses.TopLogprob;
import dev.rill.spi.Vocabulary;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One choice of a response as its tokens arrive: its text, its log-probabilities in OpenAI's shapes,
 * and — when tools are offered — whether it is a reply or tool calls. Streamed, text that may be
 * the start of a call (the syntax's opening, e.g. {@code <tool_call>}) is held back until it is
 * clear; a reply that is calls goes out as {@code tool_calls} deltas when the choice ends.
 */
final class ChoiceOutput {

    private final int index;
    private final Vocabulary vocabulary;
    private final ChatTools.Request tools;
    private final ToolSyntax syntax;
    private final StringBuilder text = new StringBuilder();
    private final List<LogprobEntry> entries = new ArrayList<>();
    private final List<Integer> tokenIds = new ArrayList<>();
    /** Streamed: log-probabilities of tokens whose text has not gone out yet. */
    private final List<LogprobEntry> unsent = new ArrayList<>();
    /** Streamed: text kept back while it may be (or is) a tool call. */
    private final StringBuilder held = new StringBuilder();
    private boolean streamingText;
    private final boolean logprobs;
    private GenerationResult result;
    private List<ToolCall> calls = List.of();
    private String content;

    ChoiceOutput(int index, Vocabulary vocabulary, ChatTools.Request tools, ToolSyntax syntax, boolean logprobs) {
        this.index = index;
        this.vocabulary = vocabulary;
        this.tools = tools;
        this.syntax = syntax;
        this.logprobs = logprobs;
        this.streamingText = !tools.parses();
    }

    int index() {
        return index;
    }

    GenerationResult result() {
        return result;
    }

    /** Adds a token; returns the stream chunks it makes (possibly none). */
    List<ChunkChoice> token(GeneratedToken t) {
        text.append(t.text());
        tokenIds.add(t.tokenId());
        LogprobEntry e = entry(t);
        if (e != null) {
            entries.add(e);
            unsent.add(e);
        }
        if (!streamingText) {
            held.append(t.text());
            if (tools.choice() == ChatTools.Choice.AUTO && !mayBeCall(held)) {
                streamingText = true;   // plain text after all: send what was held
                String out = held.toString();
                held.setLength(0);
                return List.of(chunk(out));
            }
            return List.of();
        }
        if (t.text().isEmpty()) return List.of();
        return List.of(chunk(t.text()));
    }

    /** Whether the held text could still be the opening of a call (a forced choice always is). */
    private boolean mayBeCall(CharSequence s) {
        String marker = syntax.marker();
        String t = s.toString().stripLeading();
        return t.isEmpty() || (t.length() < marker.length() ? marker.startsWith(t) : t.startsWith(marker));
    }

    private ChunkChoice chunk(String content) {
        ChatLogprobs lp = logprobs ? new ChatLogprobs(List.copyOf(unsent), null) : null;
        unsent.clear();
        return new ChunkChoice(index, new Delta(null, content), lp, null);
    }

    /** Ends the choice; returns its last stream chunks (held text or tool calls, then the finish). */
    List<ChunkChoice> done(GenerationResult r) {
        result = r;
        String all = text.toString();
        content = all;
        if (tools.parses()) {
            Optional<ToolSyntax.Parsed> parsed = syntax.parse(all, tools.tools());
            if (parsed.isPresent()) {
                calls = parsed.get().calls();
                content = parsed.get().content().isEmpty() ? null : parsed.get().content();
            }
        }
        List<ChunkChoice> out = new ArrayList<>();
        if (!calls.isEmpty()) {
            if (!streamingText && content != null) out.add(new ChunkChoice(index, new Delta(null, content), null, null));
            for (int i = 0; i < calls.size(); i++) {
                ToolCall c = calls.get(i);
                out.add(new ChunkChoice(index, new Delta(null, null, List.of(new DeltaToolCall(i, c.id(), "function", new FunctionCall(c.name(), "")))), null, null));
                out.add(new ChunkChoice(index, new Delta(null, null, List.of(new DeltaToolCall(i, null, null, new FunctionCall(null, c.arguments())))), null, null));
            }
        } else if (!held.isEmpty() || !unsent.isEmpty()) {
            out.add(chunk(held.toString()));
            held.setLength(0);
        }
        out.add(new ChunkChoice(index, new Delta(null, null), null, finishReason()));
        return out;
    }

    /** {@code tool_calls} when the reply was calls; else the generation's reason. */
    String finishReason() {
        return !calls.isEmpty() ? "tool_calls" : result.finishReason().wire();
    }

    /** The whole choice of a chat completion (after {@link #done}). */
    ChatChoice chatChoice() {
        List<ToolCallOut> out = calls.stream().map(c -> new ToolCallOut(c.id(), "function", new FunctionCall(c.name(), c.arguments()))).toList();
        return new ChatChoice(index, new AssistantMessage("assistant", content, out), logprobs ? new ChatLogprobs(entries, null) : null, finishReason());
    }

    /** The whole choice of a text completion (after {@link #done}); {@code prefix} is the echoed prompt. */
    TextChoice textChoice(String prefix) {
        return new TextChoice(index, prefix + text, logprobs ? completionLogprobs(prefix.length(), entries) : null, finishReason());
    }

    /** A streamed text-completion piece: the text and the logprobs of the tokens it completes. */
    TextChoice textChunk(String piece, int offset) {
        CompletionLogprobs lp = logprobs ? completionLogprobs(offset, List.copyOf(unsent)) : null;
        unsent.clear();
        return new TextChoice(index, piece, lp, null);
    }

    /** Legacy logprobs: each token's text, log-probability, its alternatives by text, and where it starts in the text. */
    static CompletionLogprobs completionLogprobs(int start, List<LogprobEntry> entries) {
        List<String> tokens = new ArrayList<>();
        List<Float> lps = new ArrayList<>();
        List<Map<String, Float>> tops = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        int at = start;
        for (LogprobEntry e : entries) {
            tokens.add(e.token());
            lps.add(e.logprob());
            Map<String, Float> top = new LinkedHashMap<>();
            for (TopLogprob t : e.topLogprobs()) top.putIfAbsent(t.token(), t.logprob());
            tops.add(top);
            offsets.add(at);
            at += e.token().length();
        }
        return new CompletionLogprobs(tokens, lps, tops, offsets);
    }

    private LogprobEntry entry(GeneratedToken t) {
        TokenLogprobs lp = t.logprobs();
        if (!logprobs || lp == null) return null;
        List<TopLogprob> top = new ArrayList<>(lp.topIds().length);
        for (int i = 0; i < lp.topIds().length; i++) {
            int id = lp.topIds()[i];
            top.add(new TopLogprob(tokenText(id), lp.topLogprobs()[i], bytes(id)));
        }
        return new LogprobEntry(tokenText(t.tokenId()), lp.logprob(), bytes(t.tokenId()), top);
    }

    /** The token's text (bytes of a partial character decoded leniently; a control token by its name). */
    private String tokenText(int id) {
        byte[] b = vocabulary.tokenBytes(id);
        return b == null ? vocabulary.piece(id) : new String(b, StandardCharsets.UTF_8);
    }

    private int[] bytes(int id) {
        byte[] b = vocabulary.tokenBytes(id);
        if (b == null) b = vocabulary.piece(id).getBytes(StandardCharsets.UTF_8);
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) out[i] = b[i] & 0xFF;
        return out;
    }
}
