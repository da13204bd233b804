package dev.rill.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Before {@code rill serve} starts Quarkus: is the address it will listen on free? A busy port is
 * then one line naming the port and the fix, not Quarkus's failed start (where a model still loading
 * also reported a misleading failure).
 */
final class PortCheck {

    private PortCheck() {
    }

    /**
     * The value of configuration key {@code key} as the server will see it: given on the command line
     * ({@code given}), a system property, an environment variable, or application.properties.
     */
    static String setting(Map<String, String> given, String key) {
        if (given.containsKey(key)) return given.get(key);
        String value = System.getProperty(key);
        if (value == null) value = System.getenv(key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_"));
        if (value == null) value = applicationProperties().getProperty(key);
        return value;
    }

    /** @throws IllegalStateException when {@code host:port} is taken by another process */
    static void free(String host, int port) {
        if (port <= 0) return;   // 0: any free port
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);   // as Vert.x does: a port in TIME_WAIT counts as free
            socket.bind(new InetSocketAddress(host, port));
        } catch (BindException e) {
            throw new IllegalStateException("port " + port + " is in use by another process (another rill serve?): stop it, "
                    + "or choose another port with --port");
        } catch (IOException e) {
            // Anything else (an unknown host name, ...) is for the server to report when it binds.
        }
    }

    private static Properties applicationProperties() {
        Properties p = new Properties();
        try (InputStream in = PortCheck.class.getClassLoader().getResourceAsStream("application.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
