package dev.rill.cli.attack;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.net.UnknownHostException;

/**
 * One attack of {@code rill bench attack} against a running server. The tests under
 * {@code server/src/test/.../attack} run the same attacks against the test application and assert
 * on what they return.
 */
public interface Attack {

    /**
     * Where to attack, with which API key ({@code null}: none), and from which local address the
     * attacker connects ({@code null}: any). The ordinary requests an attack makes to see whether the
     * server still serves others come from the default address: on a loopback target an attacker on
     * 127.0.0.2 is another client to the server, as a real one would be.
     */
    record Target(URI base, String apiKey, InetAddress attacker) {

        /** The attacker on 127.0.0.2 when the server is on this machine's loopback. */
        public static Target of(URI base, String apiKey) {
            InetAddress attacker = null;
            try {
                if (InetAddress.getByName(base.getHost()).isLoopbackAddress() && InetAddress.getByName(base.getHost()) instanceof Inet4Address) {
                    attacker = InetAddress.getByName("127.0.0.2");
                }
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("unknown host " + base.getHost());
            }
            return new Target(base, apiKey, attacker);
        }

        public String authorizationHeader() {
            return apiKey == null ? "" : "Authorization: Bearer " + apiKey + "\r\n";
        }

        /** An HTTP/1.1 client connecting from the attacker's address. */
        public HttpClient attackerHttp() {
            HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10));
            if (attacker != null) b.localAddress(attacker);
            return b.build();
        }

        /** A request to {@code path} with the API key, if any. */
        public HttpRequest.Builder request(String path) {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120));
            if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
            return b;
        }

        /** A connection from the attacker's address. */
        public RawSocket connect(int timeoutMs) throws java.io.IOException {
            return new RawSocket(base, attacker, timeoutMs);
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
