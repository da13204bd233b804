package dev.rill.server.security;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OriginTest {

    @Test
    void originsAreComparedWithoutDefaultPortsCaseOrTrailingSlash() {
        assertEquals("https://chat.example.com", WebSocketGate.normalize("HTTPS://Chat.Example.com:443/"));
        assertEquals("http://localhost:8080", WebSocketGate.normalize("http://localhost:8080"));
        assertEquals("http://localhost", WebSocketGate.normalize("http://localhost:80"));
        assertEquals("null", WebSocketGate.normalize("null"));
    }
}
