package io.moeoperator.engine.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.moeoperator.engine.model.ModelFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One JSON file of a model directory, read strictly (a key given twice or data after the document
 * is an error, not "last one wins"), with accessors whose errors name the directory, the file and
 * the field: "model directory /m: tokenizer.json: model.type 'WordPiece' is not supported ...".
 * Field paths are written as in the file: {@code model.merges[12]}.
 */
final class JsonFile {
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final String where;
    private final JsonNode root;

    private JsonFile(String where, JsonNode root) {
        this.where = where;
        this.root = root;
    }

    /** Reads dir/name; empty if the file does not exist. */
    static Optional<JsonFile> readIfPresent(Path dir, String name) {
        Path file = dir.resolve(name);
        String where = "model directory " + dir + ": " + name;
        JsonNode root;
        try (var in = Files.newInputStream(file)) {
            root = MAPPER.readTree(in);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (JsonProcessingException e) {
            throw new ModelFileException(where + " is not valid JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        } catch (IOException e) {
            throw new ModelFileException(where + " cannot be read: " + e, e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFileException(where + " must hold a JSON object, but holds "
                    + (root == null || root.isMissingNode() ? "nothing" : root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        return Optional.of(new JsonFile(where, root));
    }

    JsonNode root() {
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

    /** The node's field, or null if it is absent or JSON null. */
    static JsonNode get(JsonNode node, String name) {
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    JsonNode requireObject(JsonNode parent, String name, String path) {
        JsonNode v = get(parent, name);
        if (v == null) {
            throw fault(path, "is missing");
        }
        if (!v.isObject()) {
            throw fault(path, "must be an object, not " + describe(v));
        }
        return v;
    }

    JsonNode requireArray(JsonNode parent, String name, String path) {
        JsonNode v = get(parent, name);
        if (v == null) {
            throw fault(path, "is missing");
        }
        if (!v.isArray()) {
            throw fault(path, "must be an array, not " + describe(v));
        }
        return v;
    }

    String requireString(JsonNode parent, String name, String path) {
        JsonNode v = get(parent, name);
        if (v == null) {
            throw fault(path, "is missing");
        }
        return string(v, path);
    }

    String string(JsonNode v, String path) {
        if (!v.isTextual()) {
            throw fault(path, "must be a string, not " + describe(v));
        }
        return v.textValue();
    }

    /** A boolean field; absent or null means dflt. */
    boolean bool(JsonNode parent, String name, String path, boolean dflt) {
        JsonNode v = get(parent, name);
        if (v == null) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw fault(path, "must be true or false, not " + describe(v));
        }
        return v.booleanValue();
    }

    /** A token id: a whole number from 0 to Integer.MAX_VALUE. */
    int id(JsonNode v, String path) {
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
            throw fault(path, "must be a token id (a whole number from 0), not " + describe(v));
        }
        return v.intValue();
    }

    /** A value for a message, cut short when long. */
    static String describe(JsonNode v) {
        String s = v.toString();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
