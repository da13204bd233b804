package dev.rill.server.attack;

import dev.rill.cli.attack.Attack;
import dev.rill.cli.attack.ManyMessages;
import dev.rill.server.LiveServerTest;
import dev.rill.server.TinyModelResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, item 3: long conversations cost linear time. 8,000 one-letter messages (over
 * {@code rill.limits.max-messages}, 2,048 by default) are refused with the documented error at once;
 * 2,048 of them, of which all but the last few must be dropped to fit the context of 128, are answered.
 * Before, dropping turns re-encoded the whole conversation each time (8,000 messages: about 15 s
 * of CPU on this model).
 */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class ManyMessagesTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void eightThousandMessagesAreRefusedAtOnce() throws Exception {
        new ManyMessages(10, 60_000).run(Attack.Target.of(base, null));   // warm: the first request of a JVM loads classes
        ManyMessages attack = new ManyMessages(8000, 1000);
        Attack.Result result = attack.run(Attack.Target.of(base, null));
        System.out.println(attack.name() + ": " + result);
        assertTrue(result.held(), result.outcome());
        assertTrue(result.outcome().contains("at most 2048 are accepted (rill.limits.max-messages)"), result.outcome());
    }

    @Test
    void theMostMessagesAllowedAreAnsweredDroppingAllButTheNewest() {
        given().contentType("application/json").body(ManyMessages.body(2048)).post("/v1/chat/completions").then().statusCode(200)
                .body("choices[0].finish_reason", equalTo("length")).body("usage.prompt_tokens", org.hamcrest.Matchers.lessThanOrEqualTo(128));
        given().contentType("application/json").body("{\"type\":\"x\"}").post("/v1/chat/completions").then().statusCode(400)
                .body("error.message", containsString("messages"));
    }
}
