package dev.rill.server.chat;

import dev.rill.model.LoadedModel;

/** Chooses the chat format of a model. */
public final class ChatFormats {

    private ChatFormats() {
    }

    /**
     * {@link PlainChatFormat} for a model without a chat template (Rill's own checkpoints). A model
     * with a Jinja chat template (GGUF) needs a renderer for it; the GGUF work plugs one in here.
     *
     * @throws IllegalArgumentException for a template this build cannot render
     */
    public static ChatFormat forModel(LoadedModel model) {
        if (model.chatTemplate() == null || model.chatTemplate().isBlank()) return PlainChatFormat.INSTANCE;
        throw new IllegalArgumentException("model '" + model.name() + "' comes with a Jinja chat template, and this build has no "
                + "renderer for it; chat requests cannot be formatted (raw completions still work)");
    }
}
