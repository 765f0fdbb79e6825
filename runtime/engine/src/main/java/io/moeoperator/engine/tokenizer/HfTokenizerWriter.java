package io.moeoperator.engine.tokenizer;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
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
    private static final JsonMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

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
        MAPPER.writeValue(modelDir.resolve(HfTokenizer.TOKENIZER_JSON).toFile(), tokenizerJson(tokenizer, pre));
        MAPPER.writeValue(modelDir.resolve(HfTokenizer.TOKENIZER_CONFIG_JSON).toFile(),
                tokenizerConfig(tokenizer, chatTemplate));
        MAPPER.writeValue(modelDir.resolve(HfTokenizer.GENERATION_CONFIG_JSON).toFile(), generationConfig(tokenizer));
    }

    static ObjectNode tokenizerJson(BpeTokenizer t, PreTokenizer pre) {
        ObjectNode root = NODES.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
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
        ArrayNode added = root.putArray("added_tokens");
        ObjectNode vocab = NODES.objectNode();
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
                added.addObject().put("id", id).put("content", text).put("single_word", false).put("lstrip", false)
                        .put("rstrip", false).put("normalized", false).put("special", special);
            }
        }
        root.putNull("normalizer");
        ObjectNode preTok = root.putObject("pre_tokenizer").put("type", "Sequence");
        ArrayNode steps = preTok.putArray("pretokenizers");
        for (String regex : pre.regexes()) {
            ObjectNode split = steps.addObject().put("type", "Split");
            split.putObject("pattern").put("Regex", regex);
            split.put("behavior", "Isolated").put("invert", false);
        }
        steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                .put("use_regex", false);
        root.set("post_processor", postProcessor(t));
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
                .put("use_regex", true);
        root.set("model", model(t, vocab));
        return root;
    }

    private static ObjectNode model(BpeTokenizer t, ObjectNode vocab) {
        ObjectNode model = NODES.objectNode();
        model.put("type", "BPE").putNull("dropout");
        model.putNull("unk_token").putNull("continuing_subword_prefix").putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        model.set("vocab", vocab);
        ArrayNode merges = model.putArray("merges");
        for (String[] pair : t.merges()) {
            for (String token : new String[] {pair[0], pair[1], pair[0] + pair[1]}) {
                if (!vocab.has(token)) {
                    throw new IllegalArgumentException("merge '" + pair[0] + " " + pair[1] + "' involves '" + token
                            + "', which is not a normal token; tokenizer.json requires every merge to make one");
                }
            }
            merges.addArray().add(pair[0]).add(pair[1]);
        }
        return model;
    }

    /** [BOS] $A [EOS] for what the tokenizer adds; null when it adds nothing. */
    private static ObjectNode postProcessor(BpeTokenizer t) {
        if (!t.addBos() && !t.addEos()) {
            return null;
        }
        ObjectNode post = NODES.objectNode().put("type", "TemplateProcessing");
        ObjectNode specials = NODES.objectNode();
        ArrayNode single = post.putArray("single");
        sequence(single, specials, t, "A", 0);
        ArrayNode pair = post.putArray("pair");
        sequence(pair, specials, t, "A", 0);
        sequence(pair, specials, t, "B", 1);
        post.set("special_tokens", specials);
        return post;
    }

    /** One sequence of a template, with the BOS and EOS the tokenizer adds around it. */
    private static void sequence(ArrayNode items, ObjectNode specials, BpeTokenizer t, String seq, int typeId) {
        if (t.addBos()) {
            addSpecial(items, specials, t, t.bosId(), typeId);
        }
        items.addObject().putObject("Sequence").put("id", seq).put("type_id", typeId);
        if (t.addEos()) {
            addSpecial(items, specials, t, t.eosId(), typeId);
        }
    }

    private static void addSpecial(ArrayNode items, ObjectNode specials, BpeTokenizer t, int id, int typeId) {
        String text = t.tokenText(id);
        items.addObject().putObject("SpecialToken").put("id", text).put("type_id", typeId);
        ObjectNode entry = specials.putObject(text).put("id", text);
        entry.putArray("ids").add(id);
        entry.putArray("tokens").add(text);
    }

    static ObjectNode tokenizerConfig(BpeTokenizer t, Optional<String> chatTemplate) {
        ObjectNode c = NODES.objectNode();
        c.put("add_bos_token", t.addBos()).put("add_eos_token", t.addEos());
        putToken(c, "bos_token", t, t.bosId());
        putToken(c, "eos_token", t, t.eosId());
        if (t.padId() >= 0) {
            putToken(c, "pad_token", t, t.padId());
        }
        c.put("clean_up_tokenization_spaces", false);
        // The generic class: transformers then takes tokenizer.json as it is.
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        chatTemplate.ifPresent(template -> c.put("chat_template", template));
        return c;
    }

    private static void putToken(ObjectNode c, String name, BpeTokenizer t, int id) {
        if (id >= 0) {
            c.put(name, t.tokenText(id));
        } else {
            c.putNull(name);
        }
    }

    static ObjectNode generationConfig(BpeTokenizer t) {
        ObjectNode g = NODES.objectNode();
        if (t.bosId() >= 0) {
            g.put("bos_token_id", t.bosId());
        }
        int[] eog = t.endOfGenerationIds();
        if (eog.length == 1) {
            g.put("eos_token_id", eog[0]);
        } else if (eog.length > 1) {
            ArrayNode ids = g.putArray("eos_token_id");
            for (int id : eog) {
                ids.add(id);
            }
        }
        return g;
    }
}
