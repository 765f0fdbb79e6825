package io.moeoperator.engine.safetensors;

import io.moeoperator.engine.model.ModelFileException;
import java.util.List;
import java.util.Map;

/**
 * Typed reads of one JSON object of a model's files. A field of the wrong type or out of range fails
 * with a {@link ModelFileException} naming the file, the field and the value found.
 */
final class JsonFields {
    private final String file;
    private final String prefix;
    private final Map<?, ?> map;

    JsonFields(String file, String prefix, Map<?, ?> map) {
        this.file = file;
        this.prefix = prefix;
        this.map = map;
    }

    /** The file, as messages name it. */
    String file() {
        return file;
    }

    boolean has(String field) {
        return map.get(field) != null;
    }

    Object raw(String field) {
        return map.get(field);
    }

    /** A required integer >= {@code min}. */
    int integer(String field, int min) {
        Object v = map.get(field);
        if (v == null) {
            throw error(field, map.containsKey(field) ? "is null" : "is missing");
        }
        return checked(field, v, min);
    }

    /** An integer >= {@code min}, or {@code fallback} when absent or null. */
    int integer(String field, int min, int fallback) {
        Object v = map.get(field);
        return v == null ? fallback : checked(field, v, min);
    }

    private int checked(String field, Object v, int min) {
        if (!(v instanceof Long l) || l < min || l > Integer.MAX_VALUE) {
            throw error(field, "is " + show(v) + ", expected an integer >= " + min);
        }
        return (int) (long) l;
    }

    /** A number (integer or not), or {@code fallback} when absent or null. */
    double number(String field, double fallback) {
        Object v = map.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw error(field, "is " + show(v) + ", expected a number");
        }
        return n.doubleValue();
    }

    /** A required number. */
    double number(String field) {
        if (!has(field)) {
            throw error(field, map.containsKey(field) ? "is null" : "is missing");
        }
        return number(field, 0);
    }

    boolean bool(String field, boolean fallback) {
        Object v = map.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw error(field, "is " + show(v) + ", expected true or false");
        }
        return b;
    }

    String string(String field, String fallback) {
        Object v = map.get(field);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof String s)) {
            throw error(field, "is " + show(v) + ", expected a string");
        }
        return s;
    }

    /** A nested object, or null when absent or null. */
    JsonFields object(String field) {
        Object v = map.get(field);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw error(field, "is " + show(v) + ", expected an object");
        }
        return new JsonFields(file, prefix + field + ".", m);
    }

    /** A list of integers, each >= {@code min}; null when absent or null. */
    List<Integer> integers(String field, int min) {
        Object v = map.get(field);
        if (v == null) {
            return null;
        }
        if (v instanceof Long) {
            return List.of(checked(field, v, min));
        }
        if (!(v instanceof List<?> list)) {
            throw error(field, "is " + show(v) + ", expected an integer or a list of integers");
        }
        return list.stream().map(e -> checked(field, e, min)).toList();
    }

    ModelFileException error(String field, String what) {
        return new ModelFileException("model file " + file + ": " + prefix + field + " " + what);
    }

    /** A value quoted for a message, cut short. */
    static String show(Object v) {
        String s = v instanceof String str ? "\"" + str + "\"" : String.valueOf(v);
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
