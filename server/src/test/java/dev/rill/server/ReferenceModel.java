package dev.rill.server;

import dev.rill.model.LoadedModel;
import dev.rill.model.TinyModel;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.Vocabulary;

/**
 * {@link TinyModel} loaded and prepared outside the server, for the reference generations and forward
 * passes that the server's answers are checked against. A test class holds one in a static field
 * marked {@code @AutoClose}, so it is freed after the class's tests.
 *
 * @param model the loaded checkpoint
 * @param pass  its forward pass on the cpu backend
 */
public record ReferenceModel(LoadedModel model, ForwardPass pass) implements AutoCloseable {

    public static ReferenceModel load() {
        LoadedModel model = TinyModel.load();
        return new ReferenceModel(model, TinyModel.prepare(model));
    }

    public Vocabulary vocabulary() {
        return model.vocabulary();
    }

    @Override
    public void close() {
        pass.close();
    }
}
