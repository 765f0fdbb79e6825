package io.moeoperator.engine.tokenizer;

import io.moeoperator.engine.json.InvalidJsonException;
import io.moeoperator.engine.json.Json;
import io.moeoperator.engine.json.JsonReader;
import io.moeoperator.engine.model.ModelFileException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One JSON file of a model directory, read strictly by {@link Json} (a key given twice or data
 * after the document is an error, not "last one wins"), with accessors whose errors name the
 * directory, the file and the field: "model directory /m: tokenizer.json: model.type 'WordPiece'
 * is not supported ...". Field paths are written as in the file: {@code model.merges[12]}.
 *
 * <p>Values are what {@link Json#parse} makes of them: Map, List, String, Boolean, Long for whole
 * numbers, Double for the others, and null. {@code Map.get} gives null both for an absent key and
 * for a JSON null, which every field read here treats alike (Hugging Face's readers do too).
 */
final class JsonFile {
    private final String where;
    private final String text;
    private final Map<String, Object> root;

    private JsonFile(String where, String text, Map<String, Object> root) {
        this.where = where;
        this.text = text;
        this.root = root;
    }

    /** Reads dir/name; empty if the file does not exist. */
    static Optional<JsonFile> readIfPresent(Path dir, String name) {
        return readIfPresent(dir, name, Set.of());
    }

    /**
     * Reads dir/name, leaving the values at the {@code deferred} key paths as {@link Json.Deferred}
     * (read them with {@link #read}); empty if the file does not exist.
     */
    static Optional<JsonFile> readIfPresent(Path dir, String name, Set<String> deferred) {
        String where = "model directory " + dir + ": " + name;
        String text;
        try {
            text = Files.readString(dir.resolve(name));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (CharacterCodingException e) {
            throw new ModelFileException(where + " is not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new ModelFileException(where + " cannot be read: " + e, e);
        }
        if (text.isBlank()) {
            throw new ModelFileException(where + " must hold a JSON object, but holds nothing");
        }
        Object root;
        try {
            root = Json.parse(text, deferred);
        } catch (InvalidJsonException e) {
            throw invalid(where, text, e);
        }
        if (!(root instanceof Map)) {
            throw new ModelFileException(where + " must hold a JSON object, but holds "
                    + (root instanceof List ? "an array" : describe(root)));
        }
        return Optional.of(new JsonFile(where, text, object(root)));
    }

    private static ModelFileException invalid(String where, String text, InvalidJsonException e) {
        return new ModelFileException(where + " is not valid JSON: " + e.reason() + " (" + position(text, e.offset()) + ")", e);
    }

    /** What a reader of a deferred value makes of it. */
    interface DeferredRead<T> {
        T read(JsonReader reader);
    }

    /**
     * Reads the deferred value at {@code path} (an object, {@code kind} '{', or an array, '[') with
     * {@code body}; a syntax error in it is reported like one anywhere else in the file.
     */
    <T> T read(Map<String, Object> parent, String name, String path, char kind, DeferredRead<T> body) {
        Object v = parent.get(name);
        if (v == null) {
            throw fault(path, "is missing");
        }
        if (!(v instanceof Json.Deferred d) || d.first() != kind) {
            throw fault(path, "must be " + (kind == '{' ? "an object" : "an array") + ", not " + describe(v));
        }
        try {
            JsonReader r = d.reader();
            T result = body.read(r);
            r.end();
            return result;
        } catch (InvalidJsonException e) {
            throw invalid(where, text, e);
        }
    }

    /** "line 3, column 14" for a character offset, as an editor counts them (from 1). */
    static String position(String text, int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
            line++;
            lineStart = i + 1;
        }
        return "line " + line + ", column " + (offset - lineStart + 1);
    }

    Map<String, Object> root() {
        return root;
    }

    /** A fault in a field: "where: path message". */
    ModelFileException fault(String path, String message) {
        return new ModelFileException(where + ": " + path + " " + message);
    }

    /** The fault for a value the engine does not handle, listing what it does. */
    ModelFileException unsupported(String path, String value, String supported) {
        return fault(path, "'" + value + "' is not supported (supported: " + supported + ")");
    }

    Map<String, Object> requireObject(Map<String, Object> parent, String name, String path) {
        return object(require(parent, name, path), path);
    }

    List<Object> requireArray(Map<String, Object> parent, String name, String path) {
        return array(require(parent, name, path), path);
    }

    String requireString(Map<String, Object> parent, String name, String path) {
        return string(require(parent, name, path), path);
    }

    private Object require(Map<String, Object> parent, String name, String path) {
        Object v = parent.get(name);
        if (v == null) {
            throw fault(path, "is missing");
        }
        return v;
    }

    Map<String, Object> object(Object v, String path) {
        if (!(v instanceof Map)) {
            throw fault(path, "must be an object, not " + describe(v));
        }
        return object(v);
    }

    @SuppressWarnings("unchecked") // Json makes every object a Map with String keys
    private static Map<String, Object> object(Object map) {
        return (Map<String, Object>) map;
    }

    @SuppressWarnings("unchecked")
    List<Object> array(Object v, String path) {
        if (!(v instanceof List)) {
            throw fault(path, "must be an array, not " + describe(v));
        }
        return (List<Object>) v;
    }

    String string(Object v, String path) {
        if (!(v instanceof String s)) {
            throw fault(path, "must be a string, not " + describe(v));
        }
        return s;
    }

    /** A boolean field; absent or null means dflt. */
    boolean bool(Map<String, Object> parent, String name, String path, boolean dflt) {
        Object v = parent.get(name);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Boolean b)) {
            throw fault(path, "must be true or false, not " + describe(v));
        }
        return b;
    }

    /** A token id: a whole number from 0 to Integer.MAX_VALUE (2.0 is not one, as for tokenizers). */
    int id(Object v, String path) {
        if (!(v instanceof Long n) || n < 0 || n > Integer.MAX_VALUE) {
            throw fault(path, "must be a token id (a whole number from 0), not " + describe(v));
        }
        return n.intValue();
    }

    /** A value for a message, as JSON, cut short when long. */
    static String describe(Object v) {
        if (v instanceof Json.Deferred d) {
            return d.toString();
        }
        String s = Json.writeCompact(v);
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
