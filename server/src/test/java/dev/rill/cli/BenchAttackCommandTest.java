package dev.rill.cli;

import dev.rill.server.LiveServerTest;
import dev.rill.server.TinyModelResource;
import dev.rill.server.security.SecuredProfile;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rill bench attack} against the test application (API keys, 1 + 1 generations per client:
 * SecuredProfile) with small counts: one table row per attack, each held, with the health probes'
 * p99 in milliseconds; a server on another machine is refused unless asked for.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
@QuarkusTestResource(TinyModelResource.class)
class BenchAttackCommandTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;

    static final List<String> ATTACKS = List.of("WebSocket compression bomb", "slow request bodies", "one-letter messages in one chat",
            "client leaves a streamed completion", "client leaves a non-streamed completion", "JSON nested", "limits as documented",
            "one client asks");

    @Test
    void everyAttackHoldsAndHasItsRow() {
        CliRun run = CliRun.of("bench", "attack", "--url", base.toString(), "--api-key", "key-one", "--other-api-key", "key-two",
                "--max-message-size", "8192", "--bomb-connections", "2", "--bomb-mib", "16", "--slow-connections", "20", "--slow-interval", "500",
                "--slow-hold", "10", "--depth", "10000", "--fair-use-requests", "4", "--tokens", "100000", "--timeout", "240",
                "--leave-within", "3000");   // DisconnectTest holds the server to its tokens; a loaded machine may take this long to show it
        System.out.println(run.out());
        assertEquals(0, run.code(), run.out() + run.err());
        Pattern row = Pattern.compile("(?m)^(.+?)\\s+(\\d+)\\s+(\\d+) ms  held: .+$");
        Matcher m = row.matcher(run.out());
        int rows = 0;
        while (m.find()) {
            String attack = m.group(1).strip();
            assertTrue(ATTACKS.stream().anyMatch(attack::contains), "unexpected row " + attack);
            assertTrue(Long.parseLong(m.group(2)) > 0, "no request sent by " + attack);
            rows++;
        }
        assertEquals(ATTACKS.size(), rows, run.out());
        assertTrue(run.out().contains(ATTACKS.size() + " of " + ATTACKS.size() + " attacks held"), run.out());
    }

    @Test
    void anotherMachineNeedsAllowRemote() {
        CliRun run = CliRun.of("bench", "attack", "--url", "http://192.0.2.1:8080");
        assertEquals(1, run.code());
        assertEquals("rill bench attack: --url http://192.0.2.1:8080 is not on this machine; attacking another machine needs --allow-remote",
                run.err().strip());
    }
}
