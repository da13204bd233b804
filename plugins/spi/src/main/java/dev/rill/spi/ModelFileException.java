package dev.rill.spi;

/**
 * A model file that cannot be read or used: malformed, truncated, or asking for something Rill lacks.
 * The message is one printable line of bounded length: names quoted from a damaged file can hold
 * any bytes (new lines, control characters, megabytes of text).
 */
public class ModelFileException extends IllegalArgumentException {

    static final int MAX_MESSAGE = 400;

    public ModelFileException(String message) {
        super(printable(message));
    }

    public ModelFileException(String message, Throwable cause) {
        super(printable(message), cause);
    }

    /** Control characters, line separators and undecodable bytes as '?', and at most {@value #MAX_MESSAGE} characters. */
    static String printable(String message) {
        if (message == null) return null;
        StringBuilder sb = new StringBuilder(Math.min(message.length(), MAX_MESSAGE + 3));
        for (int i = 0; i < message.length() && sb.length() < MAX_MESSAGE; i++) {
            char c = message.charAt(i);
            boolean pairedSurrogate = Character.isHighSurrogate(c) ? i + 1 < message.length() && Character.isLowSurrogate(message.charAt(i + 1))
                    : Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(message.charAt(i - 1));
            boolean odd = Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || c == '\ufffd' || Character.isSurrogate(c) && !pairedSurrogate;
            sb.append(odd ? '?' : c);
        }
        if (sb.length() >= MAX_MESSAGE && message.length() > MAX_MESSAGE) sb.append("...");
        return sb.toString();
    }
}
