package dev.rill.server.chat;

import dev.rill.model.LoadedModel;

/** Chooses the chat format of a model. */
public final class ChatFormats {

    private ChatFormats() {
    }

    /** The model's own chat template when it has one (GGUF), else {@link PlainChatFormat}. */
    public static ChatFormat forModel(LoadedModel model) {
        return model.chatTemplate() == null ? PlainChatFormat.INSTANCE : new TemplateChatFormat(model.chatTemplate());
    }
}
