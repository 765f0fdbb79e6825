package io.moeoperator.engine.tokenizer;

import io.moeoperator.engine.json.JsonReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the two large parts of a tokenizer.json, model.vocab and model.merges (DeepSeek-V3: 128,000
 * entries and 127,741 merges, 5 of its 7.8 MB), straight from the file's text into the tables the
 * tokenizer uses, checked as Hugging Face tokenizers checks them. Why not from a parsed tree: start-up
 * time. The tree costs a map entry and a boxed number per token before the tables are built, and the
 * work per entry sits in a method of its own so that a fresh JVM compiles it after a few hundred
 * entries (a method's calls are counted from the start; a loop inside one method waits for
 * tens of thousands of iterations to be compiled on the stack).
 */
final class BpeModelReader {
    private BpeModelReader() {}

    /** model.vocab, both ways: {@code byId[ids.get(text)] == text}. */
    record Vocab(Map<String, Integer> ids, String[] byId) {}

    /** model.vocab: text to id; the ids must be 0..n-1, each once. */
    static Vocab vocab(JsonFile f, Map<String, Object> model) {
        return f.read(model, "vocab", "model.vocab", '{', r -> {
            VocabTable table = new VocabTable(f, r.entries());
            r.beginObject();
            while (r.hasNext()) {
                table.add(r);
            }
            return table.finish();
        });
    }

    private static final class VocabTable {
        private final JsonFile f;
        private final Map<String, Integer> ids;
        private final List<String> texts;
        private final IntList textIds;

        VocabTable(JsonFile f, int entries) {
            this.f = f;
            this.ids = HashMap.newHashMap(entries);
            this.texts = new ArrayList<>(entries);
            this.textIds = new IntList(entries);
        }

        void add(JsonReader r) {
            int at = r.offset();
            String text = r.nextName();
            Object value = r.nextValue();
            int id = value instanceof Long n && n >= 0 && n <= Integer.MAX_VALUE ? n.intValue() : f.id(value, path(text));
            if (ids.put(text, id) != null) {
                throw r.errorAt(at, "duplicate key \"" + text + "\"");
            }
            texts.add(text);
            textIds.add(id);
        }

        Vocab finish() {
            String[] byId = new String[texts.size()];
            for (int i = 0; i < byId.length; i++) {
                String text = texts.get(i);
                int id = textIds.get(i);
                if (id >= byId.length) {
                    throw f.fault(path(text), "is " + id + ", but model.vocab has " + byId.length + " entries, whose ids"
                            + " must run from 0 to " + (byId.length - 1));
                }
                if (byId[id] != null) {
                    throw f.fault(path(text), "is " + id + ", which model.vocab also gives to '" + byId[id] + "'");
                }
                byId[id] = text;
            }
            return new Vocab(ids, byId);
        }

        private static String path(String text) {
            return "model.vocab['" + text + "']";
        }
    }

    /**
     * model.merges, either as "left right" strings (lines starting "#version" are skipped, as
     * tokenizers does) or as [left, right] arrays, in file order: read without the vocabulary, so
     * that it can be read while the vocabulary is; {@link #ranks} checks them against it.
     */
    static Merges merges(JsonFile f, Map<String, Object> model) {
        return f.read(model, "merges", "model.merges", '[', r -> {
            Merges merges = new Merges(f, r.entries());
            r.beginArray();
            for (int i = 0; r.hasNext(); i++) {
                merges.read(r, i);
            }
            return merges;
        });
    }

    /** The merges of a tokenizer.json as read, not yet checked against its vocabulary. */
    static final class Merges {
        private final JsonFile f;
        private final List<String> lefts;
        private final List<String> rights;
        /** "left right", or null for a pair that can never apply. */
        private final List<String> keys;
        /** Each merge's index in model.merges, for messages ("#version" lines are skipped). */
        private final IntList indexes;
        /** Whether the merges are "left right" strings; null before the first. */
        private Boolean strings;

        private Merges(JsonFile f, int entries) {
            this.f = f;
            this.lefts = new ArrayList<>(entries);
            this.rights = new ArrayList<>(entries);
            this.keys = new ArrayList<>(entries);
            this.indexes = new IntList(entries);
        }

        /** Reads model.merges[i]: a method of its own so that the JIT compiles it early (see the class comment). */
        private void read(JsonReader r, int i) {
            boolean pair = r.peek() == '[';
            if (strings == null) {
                strings = !pair;
            }
            if (strings) {
                Object node = r.nextValue();
                if (!(node instanceof String line)) {
                    throw f.fault(path(i), "must be a string like the merges before it, not " + JsonFile.describe(node));
                }
                if (line.startsWith("#version")) {
                    return;
                }
                int space = line.indexOf(' ');
                if (space < 0 || line.indexOf(' ', space + 1) >= 0) {
                    throw f.fault(path(i), "'" + line + "' is not two tokens separated by one space");
                }
                add(i, line.substring(0, space), line.substring(space + 1), line);
                return;
            }
            // [left, right], read as it stands rather than as a list per merge.
            if (!pair) {
                throw f.fault(path(i), "must be a pair [left, right] like the merges before it, not "
                        + JsonFile.describe(r.nextValue()));
            }
            r.beginArray();
            Object left = r.hasNext() ? r.nextValue() : null;
            Object right = left != null && r.hasNext() ? r.nextValue() : null;
            if (!(left instanceof String l) || !(right instanceof String rt) || r.hasNext()) {
                throw f.fault(path(i), "must be a pair of strings [left, right] like the merges before it");
            }
            add(i, l, rt, l.indexOf(' ') < 0 && rt.indexOf(' ') < 0 ? l + ' ' + rt : null);
        }

        private void add(int i, String left, String right, String key) {
            lefts.add(left);
            rights.add(right);
            keys.add(key);
            indexes.add(i);
        }
    }

    /**
     * The rank table Hugging Face tokenizers builds from the merges: keyed "left right", a repeated
     * pair at its last rank (tokenizers fills a map in order), a pair whose sides hold a space left
     * out (byte-level symbols have none, so it never applies). Both sides and their concatenation
     * must be tokens, as tokenizers requires.
     */
    static Map<String, Integer> ranks(Merges merges, Map<String, Integer> vocab) {
        Map<String, Integer> ranks = HashMap.newHashMap(merges.keys.size());
        for (int rank = 0; rank < merges.keys.size(); rank++) {
            rank(merges, rank, vocab, ranks);
        }
        return ranks;
    }

    private static void rank(Merges merges, int rank, Map<String, Integer> vocab, Map<String, Integer> ranks) {
        String left = merges.lefts.get(rank);
        String right = merges.rights.get(rank);
        if (!vocab.containsKey(left) || !vocab.containsKey(right)) {
            throw merges.f.fault(path(merges.indexes.get(rank)), "names '" + (vocab.containsKey(left) ? right : left)
                    + "', which is not in model.vocab");
        }
        if (!vocab.containsKey(left + right)) {
            throw merges.f.fault(path(merges.indexes.get(rank)), "merges '" + left + "' and '" + right + "' into '"
                    + left + right + "', which is not in model.vocab");
        }
        String key = merges.keys.get(rank);
        if (key != null) {
            ranks.put(key, rank);
        }
    }

    private static String path(int i) {
        return "model.merges[" + i + "]";
    }
}
