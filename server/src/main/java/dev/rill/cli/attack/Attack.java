package dev.rill.cli.attack;

import java.net.URI;

/**
 * One attack of {@code rill bench attack} against a running server. The tests under
 * {@code server/src/test/.../attack} run the same attacks against the test application and assert
 * on what they return.
 */
public interface Attack {

    /** Where to attack, and the API key to send (or {@code null}). */
    record Target(URI base, String apiKey) {
        public String authorizationHeader() {
            return apiKey == null ? "" : "Authorization: Bearer " + apiKey + "\r\n";
        }
    }

    /**
     * @param requests what the attack sent (connections, frames or requests)
     * @param held     whether the server did what it should (refused, closed, answered as documented)
     * @param outcome  what the server did, in a few words
     */
    record Result(long requests, boolean held, String outcome) {
    }

    String name();

    Result run(Target target) throws Exception;
}
