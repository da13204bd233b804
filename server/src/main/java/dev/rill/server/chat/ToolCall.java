package dev.rill.server.chat;

/**
 * A call of a tool (function) in an assistant's turn.
 *
 * @param id        the call's id (the tool's result names it)
 * @param name      the function
 * @param arguments its arguments: a JSON object, as text
 */
public record ToolCall(String id, String name, String arguments) {
}
