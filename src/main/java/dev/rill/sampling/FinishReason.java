package dev.rill.sampling;

/** Why a generation ended, as reported to clients ({@code finish_reason}). */
public enum FinishReason {
    /** An end-of-sequence token of the model or a stop string. */
    STOP("stop"),
    /** {@code max_tokens} reached (or the context is full). */
    LENGTH("length"),
    /** The client cancelled or went away. */
    CANCELLED("cancelled");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire: {@code stop}, {@code length} or {@code cancelled}. */
    public String wireName() {
        return wireName;
    }
}
