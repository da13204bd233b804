package dev.rill.server.chat;

import dev.rill.template.ChatTemplate;

import java.util.List;

/**
 * The chat format of a model that brings its own Jinja chat template (GGUF): the template renders
 * the conversation with the generation prompt; the model's end-of-turn tokens end the reply, so no
 * stop string is needed.
 */
public final class TemplateChatFormat implements ChatFormat {

    private final ChatTemplate template;

    public TemplateChatFormat(ChatTemplate template) {
        this.template = template;
    }

    @Override
    public String name() {
        return "jinja:" + template.name();
    }

    /** @throws IllegalArgumentException when the template rejects the conversation (e.g. roles out of order) */
    @Override
    public String render(List<ChatMessage> messages) {
        return template.render(messages.stream().map(m -> new ChatTemplate.Message(m.role(), m.content())).toList(), true);
    }

    @Override
    public List<String> stopStrings() {
        return List.of();
    }
}
