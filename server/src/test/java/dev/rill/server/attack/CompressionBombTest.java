package dev.rill.server.attack;

import dev.rill.cli.attack.Attack;
import dev.rill.cli.attack.CompressionBomb;
import dev.rill.cli.attack.HealthProbe;
import dev.rill.server.LiveServerTest;
import dev.rill.server.TinyModelResource;
import dev.rill.server.WsClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, item 1: WebSocket frames marked compressed, each inflating to 200 MiB, on as many
 * connections as the server has event loops and more. The server must not negotiate compression
 * (so it never inflates), end those connections, keep answering health probes, and not grow.
 */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class CompressionBombTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void compressedFramesAreRefusedWithoutInflating() throws Exception {
        CompressionBomb bomb = new CompressionBomb(8, 200L << 20, 30_000);
        // A first round unmeasured: it makes Netty allocate its per-event-loop buffer pools (4 MiB each).
        assertTrue(bomb.run(Attack.Target.of(base, null)).held(), "the server took the bomb");
        Attack.Result result;
        long grown;
        try (MemoryWatch memory = new MemoryWatch(); HealthProbe probe = HealthProbe.live(base)) {
            result = bomb.run(Attack.Target.of(base, null));
            Thread.sleep(300);   // probes after the last frame, too
            grown = memory.growth();
            probe.close();
            System.out.println(bomb.name() + ": " + result + "; " + probe + "; memory +" + (grown >> 20) + " MiB");
            assertEquals(0, probe.failures(), probe.toString());
            assertTrue(probe.max() < 1000, "health answered slowly during the attack: " + probe);
        }
        assertTrue(result.held(), "the server took the bomb: " + result.outcome());
        assertTrue(grown < 64L << 20, "memory grew by " + (grown >> 20) + " MiB during the attack");
        // The server still chats.
        try (WsClient ws = WsClient.connect(base)) {
            ws.send(Map.of("type", "chat", "id", "after", "prompt", "First", "max_tokens", 3));
            assertEquals("done", ws.untilEnd("after").getLast().path("type").asText());
        }
    }
}
