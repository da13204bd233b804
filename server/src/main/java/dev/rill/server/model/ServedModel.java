package dev.rill.server.model;

import dev.rill.generate.BatchScheduler;
import dev.rill.model.LoadedModel;
import dev.rill.server.chat.ChatFormat;
import dev.rill.spi.ForwardPass;

/**
 * A model the server serves: the loaded model, its prepared forward pass, the scheduler that alone
 * drives that pass, and its chat format.
 *
 * @param chat    its chat format
 * @param created when it was loaded (epoch seconds, for {@code /v1/models})
 */
public record ServedModel(String name, LoadedModel model, ForwardPass pass, BatchScheduler scheduler,
                          ChatFormat chat, long created) {
}
