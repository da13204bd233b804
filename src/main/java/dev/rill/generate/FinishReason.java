package dev.rill.generate;

import java.util.Locale;

/** Why a generation ended. */
public enum FinishReason {
    /** an end-of-sequence token or a stop string */
    STOP,
    /** {@code max_tokens} reached */
    LENGTH,
    /** the client cancelled or went away */
    CANCELLED;

    /** As written on the wire: {@code stop}, {@code length}, {@code cancelled}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
