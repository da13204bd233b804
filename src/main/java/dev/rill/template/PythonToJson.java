package dev.rill.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;

import java.util.Collection;
import java.util.Map;

/**
 * The {@code tojson} filter as Hugging Face's chat templates get it: Python's
 * {@code json.dumps(x, ensure_ascii=False, indent=indent)} — {@code ", "} and {@code ": "} between
 * items without indent, {@code ","} and newlines with it, keys in insertion order, non-ASCII kept.
 * Templates print tool schemas and call arguments with it, so its bytes are part of the prompt.
 */
final class PythonToJson implements AdvancedFilter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.get("indent");
        if (indent == null && args.length > 0) indent = args[0];
        int n = indent instanceof Number num ? num.intValue() : -1;
        StringBuilder sb = new StringBuilder();
        write(var, n, 0, sb);
        return sb.toString();
    }

    private static void write(Object v, int indent, int level, StringBuilder sb) {
        switch (v) {
            case null -> sb.append("null");
            case String s -> string(s, sb);
            case Boolean b -> sb.append(b ? "true" : "false");
            case Integer i -> sb.append(i);
            case Long l -> sb.append(l);
            case java.math.BigInteger b -> sb.append(b);
            case Number num -> {
                double d = num.doubleValue();
                sb.append(d == Math.rint(d) && Math.abs(d) < 1e16 ? String.valueOf((long) d) + ".0" : String.valueOf(d));
            }
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    sb.append("{}");
                    return;
                }
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) sb.append(indent < 0 ? ", " : ",");
                    first = false;
                    newline(indent, level + 1, sb);
                    string(String.valueOf(e.getKey()), sb);
                    sb.append(": ");
                    write(e.getValue(), indent, level + 1, sb);
                }
                newline(indent, level, sb);
                sb.append('}');
            }
            case Collection<?> c -> {
                if (c.isEmpty()) {
                    sb.append("[]");
                    return;
                }
                sb.append('[');
                boolean first = true;
                for (Object x : c) {
                    if (!first) sb.append(indent < 0 ? ", " : ",");
                    first = false;
                    newline(indent, level + 1, sb);
                    write(x, indent, level + 1, sb);
                }
                newline(indent, level, sb);
                sb.append(']');
            }
            default -> string(v.toString(), sb);
        }
    }

    private static void newline(int indent, int level, StringBuilder sb) {
        if (indent >= 0) sb.append('\n').append(" ".repeat(indent * level));
    }

    private static void string(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
