package dev.rill.server.generation;

/** A submitted generation: waiting for its client's turn, or in its model's scheduler. Cancelling ends it either way. */
public interface Generation {

    void cancel();
}
