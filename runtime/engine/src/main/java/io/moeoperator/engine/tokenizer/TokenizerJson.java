package io.moeoperator.engine.tokenizer;

import io.moeoperator.engine.concurrent.Background;
import io.moeoperator.engine.tokenizer.AddedTokenMatcher.AddedToken;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Reads a Hugging Face tokenizer.json (format "1.0", as tokenizers 0.23 reads it) into the parts of
 * a {@link BpeTokenizer}: the BPE model (vocab, merges, options), the added tokens with the ids
 * tokenizers would give them, and the pipeline ({@link TokenizerJsonPipeline}). Which tokens are
 * BOS and EOS is settled by {@link HfTokenizer} together with the other files. Whatever the engine
 * does not reproduce exactly is refused with the field and its value, never approximated.
 *
 * <p>What the files of the families we serve use (all byte-level BPE, ByteLevel decoder):
 * <ul>
 * <li>DeepSeek-V3/R1: 128,000 vocabulary entries, 127,741 merges as "a b" strings, 818 added tokens
 *     (three of them also in the vocabulary, 14 not special); normalizer an empty Sequence;
 *     pre_tokenizer a Sequence of three Isolated Splits ({@code \p{N}{1,3}}, a CJK/kana range, and
 *     the word/punctuation/whitespace regex) then ByteLevel(add_prefix_space=false,
 *     use_regex=false); post_processor ByteLevel, so BOS comes from tokenizer_config.json's
 *     add_bos_token (LlamaTokenizerFast).</li>
 * <li>DeepSeek-V2/V2-Lite (LlamaTokenizerFast, like deepseek-llm): a Sequence of six Isolated
 *     Splits ({@code [\r\n]}, optional space plus cased letters, optional space plus ASCII and
 *     full-width punctuation, {@code \s+$}, CJK/Hangul ranges, {@code \p{N}+}) then the same
 *     ByteLevel; BOS from add_bos_token. Written down from llama.cpp's copy of these regexes
 *     (its deepseek-llm pre-tokenizer); their literal form is in OnigRegexParityIT.</li>
 * <li>Qwen2/Qwen3 (MoE too): NFC normalizer, one Split ({@code (?i:'s|'t|...)} and friends) then
 *     ByteLevel; no BOS. Llama 3: one Split, ignore_merges, a TemplateProcessing adding BOS.</li>
 * </ul>
 */
final class TokenizerJson {
    /** tokenizer.json, understood. */
    /**
     * @param pieceTexts what each token decodes from: its text, except that an added token with
     *                   normalized = true decodes from its normalized form, as in tokenizers
     */
    record Parsed(String[] texts, String[] pieceTexts, TokenType[] types, Map<String, Integer> textToId,
                  BpeMerger merger, Segmenter segmenter, TokenizerJsonPipeline.Template template,
                  Optional<Boolean> addPrefixSpace) {
        int vocabSize() {
            return texts.length;
        }

        /** The id of a token text (vocabulary or added), or -1. */
        int idOf(String text) {
            return textToId.getOrDefault(text, -1);
        }
    }

    private TokenizerJson() {}

    static Parsed parse(JsonFile f) {
        Map<String, Object> root = f.root();
        Object version = root.get("version");
        if (version != null && !"1.0".equals(f.string(version, "version"))) {
            throw f.unsupported("version", (String) version, "1.0");
        }
        Map<String, Object> model = f.requireObject(root, "model", "model");
        checkModelOptions(f, model);
        boolean ignoreMerges = f.bool(model, "ignore_merges", "model.ignore_merges", false);
        // The merges are read on a thread of their own while the vocabulary is (each is a few hundred
        // milliseconds in a fresh JVM for DeepSeek-V3's), then checked against it.
        CompletableFuture<BpeModelReader.Merges> reading = Background.start("moe-tokenizer-merges",
                () -> BpeModelReader.merges(f, model));
        BpeModelReader.Vocab v;
        try {
            v = BpeModelReader.vocab(f, model);
        } finally {
            Background.settle(reading);
        }
        Map<String, Integer> vocab = v.ids();
        BpeMerger merger = BpeMerger.ofRanks(BpeModelReader.ranks(Background.join(reading), vocab), vocab, ignoreMerges);

        List<AddedToken> added = addedTokens(f, root, vocab);
        int size = vocab.size();
        for (AddedToken t : added) {
            size = Math.max(size, t.id() + 1);
        }
        TokenizerJsonPipeline p = TokenizerJsonPipeline.parse(f, root, size);
        String[] texts = Arrays.copyOf(v.byId(), size);
        TokenType[] types = new TokenType[size];
        Arrays.fill(types, 0, vocab.size(), TokenType.NORMAL);
        Map<String, Integer> addedIds = new HashMap<>();
        String[] pieceTexts = texts.clone();
        Set<String> specialContents = new HashSet<>();
        added.stream().filter(AddedToken::special).forEach(t -> specialContents.add(t.content()));
        for (AddedToken t : added) {
            texts[t.id()] = t.content();
            pieceTexts[t.id()] = t.normalized() ? p.normalizer().normalize(t.content()) : t.content();
            // Decoding skips a token when the text it decodes from is a special token's content.
            types[t.id()] = specialContents.contains(pieceTexts[t.id()]) ? TokenType.CONTROL : TokenType.USER_DEFINED;
            addedIds.put(t.content(), t.id());
        }
        Map<String, Integer> textToId = new AddedOverVocab(addedIds, vocab);
        Segmenter segmenter = new HfSegmenter(matcher(f, added, false, p.normalizer()),
                matcher(f, added, true, p.normalizer()), p.normalizer(), p.preTokenizer());
        return new Parsed(texts, pieceTexts, types, textToId, merger, segmenter, p.template(), p.addPrefixSpace());
    }

    /** The BPE options; only those that byte-level BPE files use, with their neutral values, pass. */
    private static void checkModelOptions(JsonFile f, Map<String, Object> model) {
        Object type = model.get("type");
        if (type == null) {
            throw f.fault("model.type", "is missing (supported: BPE)");
        }
        if (!"BPE".equals(f.string(type, "model.type"))) {
            throw f.unsupported("model.type", (String) type, "BPE");
        }
        Object dropout = model.get("dropout");
        if (dropout != null && !(dropout instanceof Number n && n.doubleValue() == 0)) {
            throw f.fault("model.dropout", JsonFile.describe(dropout) + " is not supported: BPE dropout makes"
                    + " encoding random (supported: null or 0)");
        }
        for (String affix : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            Object v = model.get(affix);
            if (v != null && !"".equals(v)) {
                throw f.fault("model." + affix, JsonFile.describe(v) + " is not supported: byte-level BPE has"
                        + " none (supported: null)");
            }
        }
        if (f.bool(model, "byte_fallback", "model.byte_fallback", false)) {
            throw f.fault("model.byte_fallback", "true is not supported: it belongs to SentencePiece-style"
                    + " vocabularies, and byte-level BPE has a token for every byte (supported: false)");
        }
        Object unk = model.get("unk_token");
        if (unk != null) {
            f.string(unk, "model.unk_token");
        }
    }

    /** The parts of tokenizer.json read straight from its text (the large ones), not as a tree first. */
    static final Set<String> DEFERRED = Set.of("model.vocab", "model.merges");

    /**
     * added_tokens, with the ids tokenizers gives them: a content that is in the vocabulary keeps
     * its vocabulary id; the others get consecutive ids after the vocabulary, in file order. The
     * file's ids must be those (tokenizers would only warn and renumber).
     */
    private static List<AddedToken> addedTokens(JsonFile f, Map<String, Object> root, Map<String, Integer> vocab) {
        if (root.get("added_tokens") == null) {
            return List.of();
        }
        List<Object> a = f.requireArray(root, "added_tokens", "added_tokens");
        List<AddedToken> out = new ArrayList<>(a.size());
        Map<String, Integer> seen = new HashMap<>();
        int nextId = vocab.size();
        for (int i = 0; i < a.size(); i++) {
            String path = "added_tokens[" + i + "]";
            Map<String, Object> t = f.object(a.get(i), path);
            Object idValue = t.get("id");
            if (idValue == null) {
                throw f.fault(path + ".id", "is missing");
            }
            int id = f.id(idValue, path + ".id");
            String content = f.requireString(t, "content", path + ".content");
            if (content.isEmpty()) {
                throw f.fault(path + ".content", "is empty; an added token must have text");
            }
            Integer previous = seen.putIfAbsent(content, i);
            if (previous != null) {
                throw f.fault(path + ".content", "'" + content + "' repeats added_tokens[" + previous + "]");
            }
            Integer inVocab = vocab.get(content);
            int expected = inVocab != null ? inVocab : nextId++;
            if (id != expected) {
                throw f.fault(path + ".id", idMismatch(id, expected, content, inVocab != null, vocab));
            }
            boolean special = f.bool(t, "special", path + ".special", false);
            out.add(new AddedToken(id, content, special, f.bool(t, "normalized", path + ".normalized", !special),
                    f.bool(t, "lstrip", path + ".lstrip", false), f.bool(t, "rstrip", path + ".rstrip", false),
                    f.bool(t, "single_word", path + ".single_word", false)));
        }
        return out;
    }

    private static String idMismatch(int id, int expected, String content, boolean inVocab, Map<String, Integer> vocab) {
        if (inVocab) {
            return "is " + id + ", but model.vocab gives '" + content + "' the id " + expected;
        }
        String clash = vocab.entrySet().stream().filter(e -> e.getValue() == id).map(Map.Entry::getKey)
                .findFirst().orElse(null);
        if (clash != null) {
            return "is " + id + ", which model.vocab gives to '" + clash + "'; '" + content + "' is not in"
                    + " model.vocab, so it needs an id of its own (Hugging Face tokenizers would give it " + expected + ")";
        }
        return "is " + id + ", but Hugging Face tokenizers numbers the added tokens that are not in model.vocab"
                + " from " + vocab.size() + " in file order, which gives '" + content + "' the id " + expected;
    }

    /** The added tokens matched on the text as written (normalized = false) or after normalization. */
    private static AddedTokenMatcher matcher(JsonFile f, List<AddedToken> added, boolean normalized, HfNormalizer n) {
        List<AddedToken> tokens = new ArrayList<>();
        List<String> patterns = new ArrayList<>();
        Map<String, Integer> byPattern = new HashMap<>();
        for (AddedToken t : added) {
            if (t.normalized() != normalized) {
                continue;
            }
            String pattern = normalized ? n.normalize(t.content()) : t.content();
            Integer other = byPattern.putIfAbsent(pattern, t.id());
            if (other != null) {
                throw f.fault("added_tokens", "ids " + other + " and " + t.id() + " both match the text '" + pattern
                        + "' (after normalization)");
            }
            tokens.add(t);
            patterns.add(pattern);
        }
        return new AddedTokenMatcher(tokens, patterns);
    }

    /**
     * Every token text to its id: the added tokens over the vocabulary (an added token whose content
     * is also a vocabulary entry has that entry's id). A view, so that 128,000 entries are not
     * copied into a second map at start-up; the BPE model keeps looking up the vocabulary alone.
     */
    private static final class AddedOverVocab extends AbstractMap<String, Integer> {
        private final Map<String, Integer> added;
        private final Map<String, Integer> vocab;
        private final int size;

        AddedOverVocab(Map<String, Integer> added, Map<String, Integer> vocab) {
            this.added = added;
            this.vocab = vocab;
            this.size = vocab.size() + (int) added.keySet().stream().filter(text -> !vocab.containsKey(text)).count();
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public Integer get(Object text) {
            Integer id = added.get(text);
            return id != null ? id : vocab.get(text);
        }

        @Override
        public boolean containsKey(Object text) {
            return added.containsKey(text) || vocab.containsKey(text);
        }

        @Override
        public Set<Entry<String, Integer>> entrySet() {
            Map<String, Integer> all = new HashMap<>(vocab);
            all.putAll(added);
            return all.entrySet();
        }
    }
}
