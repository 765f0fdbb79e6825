package io.moeoperator.engine.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void valuesAndTheirJavaTypes() {
        Map<?, ?> m = (Map<?, ?>) Json.parse("{\"b\": 1, \"a\": [-0, -12, 9223372036854775807, 99999999999999999999,"
                + " 1.5e3, 2.0], \"s\": \"\\u00e9\\n\\\"\", \"t\": true, \"n\": null}");
        assertEquals(List.of("b", "a", "s", "t", "n"), List.copyOf(m.keySet()), "file order");
        assertEquals(1L, m.get("b"));
        assertEquals(List.of(0L, -12L, Long.MAX_VALUE, 1e20, 1500.0, 2.0), m.get("a"));
        assertEquals("é\n\"", m.get("s"));
        assertEquals(true, m.get("t"));
        assertNull(m.get("n"));
        assertEquals(true, m.containsKey("n"), "null is a value, not an absent key");
    }

    @Test
    void errorsSayWhatAndWhere() {
        InvalidJsonException e = assertThrows(InvalidJsonException.class,
                () -> Json.parse("{\"version\": \"1.0\",\n \"version\": null}"));
        assertEquals("invalid JSON at character 20: duplicate key \"version\"", e.getMessage());
        assertEquals(20, e.offset());
        assertEquals("duplicate key \"version\"", e.reason());
        assertEquals("unexpected data after the document",
                assertThrows(InvalidJsonException.class, () -> Json.parse("{} []")).reason());
        assertEquals("unexpected end of the document",
                assertThrows(InvalidJsonException.class, () -> Json.parse("[1, ")).reason());
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        assertEquals("nested deeper than 64 levels", assertThrows(InvalidJsonException.class, () -> Json.parse(deep)).reason());
    }

    @Test
    void writesWhatItReads() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vocab", Map.of("Ġthe", 7L));
        m.put("merges", List.of(List.of("Ġ", "t"), List.of("a\\", "\"b\u0001")));
        m.put("dropout", null);
        m.put("ratio", 0.25);
        m.put("empty", Map.of());
        assertEquals(m, Json.parse(Json.write(m)));
        assertEquals(m, Json.parse(Json.writeCompact(m)));
        assertEquals("{\"vocab\":{\"Ġthe\":7},\"merges\":[[\"Ġ\",\"t\"],[\"a\\\\\",\"\\\"b\\u0001\"]],\"dropout\":null,"
                + "\"ratio\":0.25,\"empty\":{}}", Json.writeCompact(m));
        Map<String, Object> pretty = new LinkedHashMap<>();
        pretty.put("a", List.of(1, 2));
        pretty.put("b", Map.of("c", "d"));
        assertEquals("{\n  \"a\": [1, 2],\n  \"b\": {\n    \"c\": \"d\"\n  }\n}\n", Json.write(pretty));
    }
}
