package io.moeoperator.engine.gguf;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Typed access to a GGUF file's key-value metadata. Integers of every width read as {@code long};
 * a missing key or a value of the wrong type fails with the file name, the key and what was found.
 */
public final class GgufMetadata {
    /** A metadata value with its on-disk type. */
    public record Entry(GgufValueType type, Object value) {}

    /** An array value: the element type and the elements (boxed like scalar values). */
    public record Array(GgufValueType elementType, List<Object> values) {}

    private final String fileName;
    private final Map<String, Entry> entries;

    GgufMetadata(String fileName, Map<String, Entry> entries) {
        this.fileName = fileName;
        this.entries = entries;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public boolean has(String key) {
        return entries.containsKey(key);
    }

    public long getLong(String key) {
        return asLong(key, require(key));
    }

    public long getLong(String key, long fallback) {
        Entry e = entries.get(key);
        return e == null ? fallback : asLong(key, e);
    }

    public int getInt(String key) {
        return Math.toIntExact(getLong(key));
    }

    public int getInt(String key, int fallback) {
        return Math.toIntExact(getLong(key, fallback));
    }

    public float getFloat(String key) {
        return asFloat(key, require(key));
    }

    public float getFloat(String key, float fallback) {
        Entry e = entries.get(key);
        return e == null ? fallback : asFloat(key, e);
    }

    public boolean getBool(String key, boolean fallback) {
        Entry e = entries.get(key);
        if (e == null) {
            return fallback;
        }
        if (e.value() instanceof Boolean b) {
            return b;
        }
        throw wrongType(key, e, "bool");
    }

    public String getString(String key) {
        Entry e = require(key);
        if (e.value() instanceof String s) {
            return s;
        }
        throw wrongType(key, e, "string");
    }

    public Optional<String> findString(String key) {
        return entries.containsKey(key) ? Optional.of(getString(key)) : Optional.empty();
    }

    public List<String> getStringList(String key) {
        Array a = array(key, GgufValueType.STRING);
        @SuppressWarnings("unchecked")
        List<String> list = (List<String>) (List<?>) a.values();
        return list;
    }

    public int[] getIntArray(String key) {
        Entry e = require(key);
        if (!(e.value() instanceof Array a)) {
            throw wrongType(key, e, "array of integers");
        }
        int[] out = new int[a.values().size()];
        for (int i = 0; i < out.length; i++) {
            if (!(a.values().get(i) instanceof Long l)) {
                throw wrongType(key, e, "array of integers");
            }
            out[i] = Math.toIntExact(l);
        }
        return out;
    }

    private Array array(String key, GgufValueType elem) {
        Entry e = require(key);
        if (e.value() instanceof Array a && a.elementType() == elem) {
            return a;
        }
        throw wrongType(key, e, "array of " + elem.name().toLowerCase());
    }

    private Entry require(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            throw new GgufException("model file " + fileName + ": missing metadata key '" + key + "'");
        }
        return e;
    }

    private long asLong(String key, Entry e) {
        if (e.value() instanceof Long l) {
            return l;
        }
        throw wrongType(key, e, "integer");
    }

    private float asFloat(String key, Entry e) {
        if (e.value() instanceof Float f) {
            return f;
        }
        if (e.value() instanceof Double d) {
            return d.floatValue();
        }
        throw wrongType(key, e, "float");
    }

    private GgufException wrongType(String key, Entry e, String expected) {
        String found = e.value() instanceof Array a ? "array of " + a.elementType() : e.type().name();
        return new GgufException("model file " + fileName + ": metadata '" + key + "' is " + found
                + ", expected " + expected);
    }
}
