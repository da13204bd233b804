package dev.rill.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A test against the running application: waits for the model, and leaves nothing running. */
public abstract class LiveServerTest {

    @BeforeEach
    void awaitModel() throws InterruptedException {
        Server.awaitReady();
    }

    @AfterEach
    void awaitIdle() throws InterruptedException {
        Server.awaitIdle();
    }
}
