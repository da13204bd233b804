package dev.rill.spi;

import java.util.List;
import java.util.Locale;

/**
 * One parameter a provider accepts: its name, type, default and valid range.
 *
 * @param name         as written in configuration and requests (kebab-case or snake_case, the provider's choice)
 * @param type         how the value is parsed
 * @param defaultValue the value when none is given (may be {@code null} for "unset")
 * @param min          lowest accepted value for numbers (inclusive unless {@code minExclusive})
 * @param max          highest accepted value for numbers (inclusive)
 * @param minExclusive whether {@code min} itself is rejected
 * @param choices      accepted values for {@link Type#CHOICE}
 * @param description  one line
 * @param aliases      other names the same parameter has in wire formats an adapter speaks (e.g.
 *                     OpenAI's {@code repetition_penalty} for {@code repeat_penalty}); the adapter
 *                     maps them to {@link #name()}
 */
public record ParamSpec(String name, Type type, Object defaultValue, Double min, Double max,
                        boolean minExclusive, List<String> choices, String description, List<String> aliases) {

    public enum Type { INT, FLOAT, BOOL, STRING, CHOICE }

    public ParamSpec {
        choices = List.copyOf(choices);
        aliases = List.copyOf(aliases);
    }

    public ParamSpec(String name, Type type, Object defaultValue, Double min, Double max, boolean minExclusive,
                     List<String> choices, String description) {
        this(name, type, defaultValue, min, max, minExclusive, choices, description, List.of());
    }

    /** The same parameter, also known as {@code aliases} in other wire formats. */
    public ParamSpec withAliases(String... aliases) {
        return new ParamSpec(name, type, defaultValue, min, max, minExclusive, choices, description, List.of(aliases));
    }

    public static ParamSpec integer(String name, int defaultValue, int min, int max, String description) {
        return new ParamSpec(name, Type.INT, defaultValue, (double) min, (double) max, false, List.of(), description);
    }

    public static ParamSpec real(String name, double defaultValue, double min, double max, String description) {
        return new ParamSpec(name, Type.FLOAT, defaultValue, min, max, false, List.of(), description);
    }

    /** A number that must be strictly greater than {@code min}. */
    public static ParamSpec realAbove(String name, double defaultValue, double min, double max, String description) {
        return new ParamSpec(name, Type.FLOAT, defaultValue, min, max, true, List.of(), description);
    }

    public static ParamSpec bool(String name, boolean defaultValue, String description) {
        return new ParamSpec(name, Type.BOOL, defaultValue, null, null, false, List.of(), description);
    }

    public static ParamSpec string(String name, String defaultValue, String description) {
        return new ParamSpec(name, Type.STRING, defaultValue, null, null, false, List.of(), description);
    }

    public static ParamSpec choice(String name, String defaultValue, List<String> choices, String description) {
        return new ParamSpec(name, Type.CHOICE, defaultValue, null, null, false, List.copyOf(choices), description);
    }

    /** Human-readable range, e.g. {@code [0, 2]}, {@code (0, 1]} or {@code one of a, b}. */
    public String range() {
        return switch (type) {
            case BOOL -> "true or false";
            case STRING -> "any text";
            case CHOICE -> "one of " + String.join(", ", choices);
            case INT, FLOAT -> (minExclusive ? "(" : "[") + fmt(min) + ", " + fmt(max) + "]";
        };
    }

    private String fmt(Double d) {
        if (d == null) return "";
        if (d == Double.POSITIVE_INFINITY) return "inf";
        if (d == Double.NEGATIVE_INFINITY) return "-inf";
        if (type == Type.INT || d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString(d.longValue());
        return String.format(Locale.ROOT, "%s", d);
    }

    /**
     * Parses and checks one value.
     *
     * @throws ParamException naming the parameter, the value and what is accepted
     */
    public Object validate(Object value) {
        if (value == null) return defaultValue;
        try {
            return switch (type) {
                case INT -> {
                    long v;
                    if (value instanceof Number n) {
                        double d = n.doubleValue();
                        if (d != Math.rint(d)) throw bad(value);
                        v = (long) d;
                    } else {
                        v = Long.parseLong(value.toString().trim());
                    }
                    checkRange(v, value);
                    yield (int) v;
                }
                case FLOAT -> {
                    double v = value instanceof Number n ? n.doubleValue() : Double.parseDouble(value.toString().trim());
                    if (Double.isNaN(v)) throw bad(value);
                    checkRange(v, value);
                    yield v;
                }
                case BOOL -> {
                    if (value instanceof Boolean b) yield b;
                    String s = value.toString().trim().toLowerCase(Locale.ROOT);
                    if (s.equals("true")) yield true;
                    if (s.equals("false")) yield false;
                    throw bad(value);
                }
                case STRING -> value.toString();
                case CHOICE -> {
                    String s = value.toString().trim();
                    if (!choices.contains(s)) throw bad(value);
                    yield s;
                }
            };
        } catch (NumberFormatException e) {
            throw bad(value);
        }
    }

    private void checkRange(double v, Object original) {
        if (min != null && (minExclusive ? v <= min : v < min)) throw bad(original);
        if (max != null && v > max) throw bad(original);
    }

    private ParamException bad(Object value) {
        return new ParamException(name, "parameter '" + name + "': " + value + " is not accepted; expected "
                + switch (type) {
                    case INT -> "an integer in " + range();
                    case FLOAT -> "a number in " + range();
                    default -> range();
                });
    }
}
