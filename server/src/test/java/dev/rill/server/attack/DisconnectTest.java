package dev.rill.server.attack;

import dev.rill.cli.attack.Attack;
import dev.rill.cli.attack.EarlyDisconnect;
import dev.rill.server.LiveServerTest;
import dev.rill.server.TinyModelResource;
import dev.rill.server.model.ModelService;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, item 4: a client that leaves a completion after its first token (streamed or not) ends
 * its generation at once: at most a few more tokens are computed (none or one, as measured), and the
 * active-generations gauge is back to 0 within one scheduler step: 30-40 ms here, but a step can take
 * most of a second on a machine loaded 15 times over its cores, so the time bound is 2 s and the
 * token count is what the test holds to. The gauge and the token count are read in process (what
 * {@code rill_generations_active} and {@code rill_tokens_generated_total} show), so that the measure
 * is the server's, not a scrape's. Before, the generation ran on while tokens flowed (0.4 to 1.9 s
 * here, hundreds of tokens, until a pause between tokens let the server look).
 */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class DisconnectTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;
    @Inject
    ModelService models;
    @Inject
    MeterRegistry registry;

    @Test
    void aStreamedGenerationEndsWhenItsClientLeaves() throws Exception {
        leave(true);
    }

    @Test
    void aNonStreamedGenerationEndsWhenItsClientLeaves() throws Exception {
        leave(false);
    }

    private void leave(boolean stream) throws Exception {
        EarlyDisconnect attack = new EarlyDisconnect(stream, 100_000, 2000, () -> models.get(null, "model").scheduler().active(),
                () -> (long) registry.counter("rill.tokens.generated", "model", "tiny").count());
        Attack.Result result = attack.run(Attack.Target.of(base, null));
        System.out.println(attack.name() + ": " + result);
        assertTrue(result.held(), result.outcome());
        // The tiny model makes about a token per millisecond, so the tokens after the client left measure
        // the server's delay in its own time: 40 is ~40 ms of work, inside the 0.2 s and far below
        // the hundreds made before the fix (8 was too tight: one full CI run saw 9 tokens in 8 ms).
        assertTrue(attack.lastTokens() <= 40, "tokens generated for a client that had left: " + attack.lastTokens());
    }
}
