package io.moeoperator.engine.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Deferred values and reading them piece by piece: the same values and the same strictness as a tree. */
class JsonReaderTest {
    private static final String DOC = "{\"version\": \"1.0\", \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\\\"\": 1,"
            + " \"{[\": 2}, \"merges\": [\"a b\", [\"x\", \"y\"], \"]\"]}, \"other\": {\"vocab\": [1]}}";

    @Test
    void deferredValuesAreLeftAsTextAndReadAsTheTreeWouldHoldThem() {
        Map<?, ?> root = (Map<?, ?>) Json.parse(DOC, Set.of("model.vocab", "model.merges"));
        Map<?, ?> model = (Map<?, ?>) root.get("model");
        assertEquals("BPE", model.get("type"));
        assertEquals(List.of(1L), ((Map<?, ?>) root.get("other")).get("vocab"), "only the paths named are deferred");
        Json.Deferred vocab = assertInstanceOf(Json.Deferred.class, model.get("vocab"));
        Json.Deferred merges = assertInstanceOf(Json.Deferred.class, model.get("merges"));
        assertEquals('{', vocab.first());
        assertEquals(3, vocab.entries(), "brackets and commas inside strings do not count");
        assertEquals(3, merges.entries(), "nor do the commas of a nested array");

        Map<?, ?> tree = (Map<?, ?>) ((Map<?, ?>) Json.parse(DOC)).get("model");
        JsonReader r = vocab.reader();
        Map<String, Object> read = new LinkedHashMap<>();
        r.beginObject();
        while (r.hasNext()) {
            read.put(r.nextName(), r.nextValue());
        }
        r.end();
        assertEquals(tree.get("vocab"), read);

        r = merges.reader();
        List<Object> elements = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) {
            if (r.peek() == '[') {
                List<Object> pair = new ArrayList<>();
                r.beginArray();
                while (r.hasNext()) {
                    pair.add(r.nextValue());
                }
                elements.add(pair);
            } else {
                elements.add(r.nextValue());
            }
        }
        r.end();
        assertEquals(tree.get("merges"), elements);
    }

    @Test
    void emptyAndScalarDeferredValues() {
        Map<?, ?> root = (Map<?, ?>) Json.parse("{\"a\": [], \"b\": {}, \"c\": 12, \"d\": \"x\"}", Set.of("a", "b", "c", "d"));
        assertEquals(0, ((Json.Deferred) root.get("a")).entries());
        JsonReader r = ((Json.Deferred) root.get("b")).reader();
        r.beginObject();
        assertFalse(r.hasNext());
        r.end();
        assertEquals(12L, ((Json.Deferred) root.get("c")).reader().nextValue());
        assertEquals("x", ((Json.Deferred) root.get("d")).reader().nextValue());
    }

    @Test
    void errorsInsideADeferredValueSayWhereInTheDocument() {
        String doc = "{\"v\": {\"a\": 0 \"b\": 1}}";
        Json.Deferred v = (Json.Deferred) ((Map<?, ?>) Json.parse(doc, Set.of("v"))).get("v");
        JsonReader r = v.reader();
        r.beginObject();
        assertTrue(r.hasNext());
        r.nextName();
        r.nextValue();
        InvalidJsonException e = assertThrows(InvalidJsonException.class, r::hasNext);
        assertEquals("expected ',' or '}'", e.reason());
        assertEquals(doc.indexOf("\"b\""), e.offset());

        Json.Deferred bad = (Json.Deferred) ((Map<?, ?>) Json.parse("{\"v\": [tru]}", Set.of("v"))).get("v");
        JsonReader r2 = bad.reader();
        r2.beginArray();
        assertTrue(r2.hasNext());
        assertThrows(InvalidJsonException.class, r2::nextValue);

        JsonReader partly = ((Json.Deferred) ((Map<?, ?>) Json.parse("{\"v\": [1, 2]}", Set.of("v"))).get("v")).reader();
        partly.beginArray();
        partly.hasNext();
        partly.nextValue();
        assertEquals("the value is not read to its end", assertThrows(InvalidJsonException.class, partly::end).reason());
    }

    @Test
    void theDocumentAroundDeferredValuesIsAsStrictAsEver() {
        assertEquals("unexpected end of the document", assertThrows(InvalidJsonException.class,
                () -> Json.parse("{\"v\": [1, \"]", Set.of("v"))).reason());
        assertEquals("duplicate key \"v\"", assertThrows(InvalidJsonException.class,
                () -> Json.parse("{\"v\": [], \"v\": []}", Set.of("v"))).reason());
        assertEquals("unexpected data after the document", assertThrows(InvalidJsonException.class,
                () -> Json.parse("{\"v\": []}]", Set.of("v"))).reason());
    }
}
