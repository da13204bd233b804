package dev.rill.template;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Python's string and dict methods for Jinjava, which otherwise only offers Java's: Hugging Face
 * chat templates are written against Python's Jinja and call {@code strip}, {@code startswith},
 * {@code split}, {@code dict.get(k, default)} and friends on their values. Only method calls on
 * strings and maps are handled here; everything else goes to Jinjava's own resolver.
 */
final class PythonMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(method instanceof String name)) return null;
        Object[] p = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof String s) {
            result = string(s, name, p);
        } else if (base instanceof Map<?, ?> m) {
            result = map(m, name, p);
        } else {
            return null;
        }
        if (result == NONE) return null;
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NONE = new Object();

    private static Object string(String s, String name, Object[] p) {
        return switch (name) {
            case "strip" -> strip(s, chars(p), true, true);
            case "lstrip" -> strip(s, chars(p), true, false);
            case "rstrip" -> strip(s, chars(p), false, true);
            case "startswith" -> p.length == 1 ? s.startsWith(String.valueOf(p[0])) : NONE;
            case "endswith" -> p.length == 1 ? s.endsWith(String.valueOf(p[0])) : NONE;
            case "split" -> split(s, p.length > 0 && p[0] != null ? String.valueOf(p[0]) : null);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "replace" -> p.length == 2 ? s.replace(String.valueOf(p[0]), String.valueOf(p[1])) : NONE;
            case "find" -> p.length == 1 ? (long) s.indexOf(String.valueOf(p[0])) : NONE;
            case "count" -> p.length == 1 ? count(s, String.valueOf(p[0])) : NONE;
            case "join" -> p.length == 1 && p[0] instanceof Iterable<?> it ? join(s, it) : NONE;
            default -> NONE;
        };
    }

    private static Object map(Map<?, ?> m, String name, Object[] p) {
        return switch (name) {
            case "get" -> p.length == 2 ? (m.containsKey(p[0]) ? m.get(p[0]) : p[1]) : p.length == 1 ? m.get(p[0]) : NONE;
            case "keys" -> new ArrayList<>(m.keySet());
            case "items" -> {
                List<List<Object>> items = new ArrayList<>();
                for (var e : m.entrySet()) items.add(List.of(e.getKey(), e.getValue() == null ? "" : e.getValue()));
                yield items;
            }
            default -> NONE;
        };
    }

    private static String chars(Object[] p) {
        return p.length > 0 && p[0] != null ? String.valueOf(p[0]) : null;
    }

    /** Python's strip: without chars, whitespace; with chars, any of them. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int a = 0, b = s.length();
        if (left) while (a < b && (chars == null ? Character.isWhitespace(s.charAt(a)) : chars.indexOf(s.charAt(a)) >= 0)) a++;
        if (right) while (b > a && (chars == null ? Character.isWhitespace(s.charAt(b - 1)) : chars.indexOf(s.charAt(b - 1)) >= 0)) b--;
        return s.substring(a, b);
    }

    /** Python's split: by a literal separator keeping empty parts, or by runs of whitespace. */
    static List<String> split(String s, String sep) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            for (String part : s.trim().split("\\s+")) if (!part.isEmpty()) out.add(part);
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("empty separator");
        int from = 0, i;
        while ((i = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, i));
            from = i + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean start = true;
        for (char c : s.toCharArray()) {
            b.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetter(c);
        }
        return b.toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        long n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }

    private static String join(String sep, Iterable<?> items) {
        StringBuilder b = new StringBuilder();
        for (Object o : items) {
            if (!b.isEmpty() || b.length() > 0) b.append(sep);
            b.append(o);
        }
        return b.toString();
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
