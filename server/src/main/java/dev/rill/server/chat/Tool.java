package dev.rill.server.chat;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A tool (function) the model may call.
 *
 * @param name        how calls name it
 * @param description what it does, for the model (may be empty)
 * @param parameters  a JSON Schema of its arguments (an object schema)
 */
public record Tool(String name, String description, JsonNode parameters) {
}
