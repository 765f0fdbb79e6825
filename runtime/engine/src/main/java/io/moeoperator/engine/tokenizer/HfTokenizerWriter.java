package io.moeoperator.engine.tokenizer;

import io.moeoperator.engine.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Writes tokenizer.json, tokenizer_config.json and generation_config.json for a tokenizer the
 * engine built itself (a synthetic model's, from {@link BpeTrainer}), so that the engine can write
 * a Hugging Face model directory. Reading the files back ({@link HfTokenizer#load}), or loading them
 * with Hugging Face tokenizers, gives the same ids as the tokenizer written, because
 * <ul>
 * <li>the pre-tokenizer is one Split per regex of its {@link PreTokenizer}, then ByteLevel (the
 *     regexes are written to mean the same in both dialects: {@link PreTokenizer#regexes()});</li>
 * <li>NORMAL tokens form model.vocab; CONTROL tokens are special added tokens and USER_DEFINED ones
 *     plain added tokens (also in model.vocab when they lie among the normal ids);</li>
 * <li>BOS and EOS, when the tokenizer adds them, are in a TemplateProcessing post-processor and in
 *     add_bos_token/add_eos_token; every end-of-generation id is in eos_token_id.</li>
 * </ul>
 * The one difference left: llama.cpp cuts the longest special token out first, Hugging Face the
 * leftmost; they differ only for special tokens that overlap in a text.
 */
public final class HfTokenizerWriter {
    private HfTokenizerWriter() {}

    /**
     * Writes the three files into modelDir (created if needed), replacing any there.
     *
     * @param chatTemplate written as tokenizer_config.json's chat_template
     * @throws IllegalArgumentException if the tokenizer was read from tokenizer.json (write that file
     *                                  instead), has token types other than normal, control and
     *                                  user-defined, repeats a token text, or has a merge whose
     *                                  result is not a token (which tokenizer.json cannot hold)
     */
    public static void write(BpeTokenizer tokenizer, Optional<String> chatTemplate, Path modelDir) throws IOException {
        PreTokenizer pre = tokenizer.preTokenizer().orElseThrow(() -> new IllegalArgumentException(
                "the tokenizer was read from a tokenizer.json; copy that file rather than writing a new one"));
        Files.createDirectories(modelDir);
        Files.writeString(modelDir.resolve(HfTokenizer.TOKENIZER_JSON), Json.write(tokenizerJson(tokenizer, pre)));
        Files.writeString(modelDir.resolve(HfTokenizer.TOKENIZER_CONFIG_JSON),
                Json.write(tokenizerConfig(tokenizer, chatTemplate)));
        Files.writeString(modelDir.resolve(HfTokenizer.GENERATION_CONFIG_JSON),
                Json.write(generationConfig(tokenizer)));
    }

    static Map<String, Object> tokenizerJson(BpeTokenizer t, PreTokenizer pre) {
        Map<String, Object> root = object("version", "1.0", "truncation", null, "padding", null);
        int maxNormal = -1;
        for (int id = 0; id < t.vocabSize(); id++) {
            TokenType type = t.tokenType(id);
            if (type != TokenType.NORMAL && type != TokenType.CONTROL && type != TokenType.USER_DEFINED) {
                throw new IllegalArgumentException("token " + id + " '" + t.tokenText(id) + "' has type " + type
                        + ", which tokenizer.json cannot hold (supported: NORMAL, CONTROL, USER_DEFINED)");
            }
            if (type == TokenType.NORMAL) {
                maxNormal = id;
            }
        }
        List<Object> added = new ArrayList<>();
        Map<String, Object> vocab = new LinkedHashMap<>();
        Set<String> texts = new HashSet<>();
        for (int id = 0; id < t.vocabSize(); id++) {
            String text = t.tokenText(id);
            if (!texts.add(text)) {
                throw new IllegalArgumentException("token text '" + text + "' occurs twice (again at id " + id
                        + "); tokenizer.json maps each text to one id");
            }
            if (id <= maxNormal) {
                vocab.put(text, id);
            }
            if (t.tokenType(id) != TokenType.NORMAL) {
                boolean special = t.tokenType(id) == TokenType.CONTROL;
                added.add(object("id", id, "content", text, "single_word", false, "lstrip", false, "rstrip", false,
                        "normalized", false, "special", special));
            }
        }
        root.put("added_tokens", added);
        root.put("normalizer", null);
        List<Object> steps = new ArrayList<>();
        for (String regex : pre.regexes()) {
            steps.add(object("type", "Split", "pattern", object("Regex", regex), "behavior", "Isolated",
                    "invert", false));
        }
        steps.add(object("type", "ByteLevel", "add_prefix_space", false, "trim_offsets", true, "use_regex", false));
        root.put("pre_tokenizer", object("type", "Sequence", "pretokenizers", steps));
        root.put("post_processor", postProcessor(t));
        root.put("decoder", object("type", "ByteLevel", "add_prefix_space", true, "trim_offsets", true,
                "use_regex", true));
        root.put("model", model(t, vocab));
        return root;
    }

    private static Map<String, Object> model(BpeTokenizer t, Map<String, Object> vocab) {
        List<Object> merges = new ArrayList<>(t.numMerges());
        for (String[] pair : t.merges()) {
            for (String token : new String[] {pair[0], pair[1], pair[0] + pair[1]}) {
                if (!vocab.containsKey(token)) {
                    throw new IllegalArgumentException("merge '" + pair[0] + " " + pair[1] + "' involves '" + token
                            + "', which is not a normal token; tokenizer.json requires every merge to make one");
                }
            }
            merges.add(List.of(pair[0], pair[1]));
        }
        return object("type", "BPE", "dropout", null, "unk_token", null, "continuing_subword_prefix", null,
                "end_of_word_suffix", null, "fuse_unk", false, "byte_fallback", false, "ignore_merges", false,
                "vocab", vocab, "merges", merges);
    }

    /** [BOS] $A [EOS] for what the tokenizer adds; null when it adds nothing. */
    private static Map<String, Object> postProcessor(BpeTokenizer t) {
        if (!t.addBos() && !t.addEos()) {
            return null;
        }
        Map<String, Object> specials = new LinkedHashMap<>();
        List<Object> single = new ArrayList<>();
        sequence(single, specials, t, "A", 0);
        List<Object> pair = new ArrayList<>();
        sequence(pair, specials, t, "A", 0);
        sequence(pair, specials, t, "B", 1);
        return object("type", "TemplateProcessing", "single", single, "pair", pair, "special_tokens", specials);
    }

    /** One sequence of a template, with the BOS and EOS the tokenizer adds around it. */
    private static void sequence(List<Object> items, Map<String, Object> specials, BpeTokenizer t, String seq,
                                 int typeId) {
        if (t.addBos()) {
            addSpecial(items, specials, t, t.bosId(), typeId);
        }
        items.add(object("Sequence", object("id", seq, "type_id", typeId)));
        if (t.addEos()) {
            addSpecial(items, specials, t, t.eosId(), typeId);
        }
    }

    private static void addSpecial(List<Object> items, Map<String, Object> specials, BpeTokenizer t, int id,
                                   int typeId) {
        String text = t.tokenText(id);
        items.add(object("SpecialToken", object("id", text, "type_id", typeId)));
        specials.put(text, object("id", text, "ids", List.of(id), "tokens", List.of(text)));
    }

    static Map<String, Object> tokenizerConfig(BpeTokenizer t, Optional<String> chatTemplate) {
        Map<String, Object> c = object("add_bos_token", t.addBos(), "add_eos_token", t.addEos(),
                "bos_token", tokenText(t, t.bosId()), "eos_token", tokenText(t, t.eosId()));
        if (t.padId() >= 0) {
            c.put("pad_token", t.tokenText(t.padId()));
        }
        c.put("clean_up_tokenization_spaces", false);
        // The generic class: transformers then takes tokenizer.json as it is.
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        chatTemplate.ifPresent(template -> c.put("chat_template", template));
        return c;
    }

    private static String tokenText(BpeTokenizer t, int id) {
        return id >= 0 ? t.tokenText(id) : null;
    }

    static Map<String, Object> generationConfig(BpeTokenizer t) {
        Map<String, Object> g = new LinkedHashMap<>();
        if (t.bosId() >= 0) {
            g.put("bos_token_id", t.bosId());
        }
        int[] eog = t.endOfGenerationIds();
        if (eog.length == 1) {
            g.put("eos_token_id", eog[0]);
        } else if (eog.length > 1) {
            g.put("eos_token_id", Arrays.stream(eog).boxed().toList());
        }
        return g;
    }

    /** A JSON object of the given keys and values, in that order (the order tokenizers writes them in). */
    private static Map<String, Object> object(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
