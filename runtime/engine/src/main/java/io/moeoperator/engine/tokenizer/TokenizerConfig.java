package io.moeoperator.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the engine takes from tokenizer_config.json: add_bos_token and add_eos_token, the BOS, EOS
 * and padding tokens, and the chat template. Its other keys describe transformers' Python classes
 * (tokenizer_class, legacy, model_max_length, ...) and change no token; clean_up_tokenization_spaces
 * only edits decoded text in transformers' batch decode, which streaming servers do not apply either.
 * Keys that would change tokens behind tokenizer.json's back are checked against it instead.
 *
 * @param bos the id of bos_token, or -1 if absent or null (likewise eos and pad)
 */
record TokenizerConfig(Optional<Boolean> addBos, Optional<Boolean> addEos, int bos, int eos, int pad) {
    static final TokenizerConfig NONE = new TokenizerConfig(Optional.empty(), Optional.empty(), -1, -1, -1);

    static TokenizerConfig read(JsonFile f, TokenizerJson.Parsed parsed) {
        return new TokenizerConfig(flag(f, "add_bos_token"), flag(f, "add_eos_token"),
                token(f, "bos_token", parsed), token(f, "eos_token", parsed), token(f, "pad_token", parsed));
    }

    private static Optional<Boolean> flag(JsonFile f, String name) {
        return f.root().get(name) == null ? Optional.empty() : Optional.of(f.bool(f.root(), name, name, false));
    }

    /** A token given as its text or as an AddedToken object {"content": ...}; its id. */
    private static int token(JsonFile f, String name, TokenizerJson.Parsed parsed) {
        Object v = f.root().get(name);
        if (v == null) {
            return -1;
        }
        String text = v instanceof Map ? f.requireString(f.object(v, name), "content", name + ".content")
                : f.string(v, name);
        int id = parsed.idOf(text);
        if (id < 0) {
            throw f.fault(name, "'" + text + "' is not a token of " + HfTokenizer.TOKENIZER_JSON);
        }
        return id;
    }

    /**
     * Checks the keys through which transformers would change tokenization: added_tokens_decoder
     * must agree with tokenizer.json's added tokens, and add_prefix_space (which transformers
     * writes into the ByteLevel pre-tokenizer) with tokenizer.json's.
     */
    static void checkConsistent(JsonFile f, TokenizerJson.Parsed parsed) {
        if (f.root().get("added_tokens_decoder") != null) {
            Map<String, Object> decoder = f.requireObject(f.root(), "added_tokens_decoder", "added_tokens_decoder");
            for (var e : decoder.entrySet()) {
                String path = "added_tokens_decoder['" + e.getKey() + "']";
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw f.fault(path, "is keyed by '" + e.getKey() + "', which is not a token id");
                }
                Map<String, Object> token = f.object(e.getValue(), path);
                String content = f.requireString(token, "content", path + ".content");
                if (id >= parsed.vocabSize() || !parsed.texts()[id].equals(content)) {
                    throw f.fault(path + ".content", "'" + content + "' differs from tokenizer.json, where id " + id
                            + (id >= parsed.vocabSize() ? " does not exist" : " is '" + parsed.texts()[id] + "'"));
                }
                boolean special = f.bool(token, "special", path + ".special", false);
                boolean jsonSpecial = parsed.types()[id] == TokenType.CONTROL;
                if (special != jsonSpecial) {
                    throw f.fault(path + ".special", "is " + special + " but tokenizer.json's added_tokens say "
                            + jsonSpecial + " for '" + content + "'");
                }
            }
        }
        if (f.root().get("add_prefix_space") != null) {
            boolean value = f.bool(f.root(), "add_prefix_space", "add_prefix_space", false);
            if (parsed.addPrefixSpace().isPresent() && parsed.addPrefixSpace().get() != value) {
                throw f.fault("add_prefix_space", "is " + value + " but tokenizer.json's ByteLevel pre_tokenizer has "
                        + parsed.addPrefixSpace().get() + "; transformers would rewrite the pre-tokenizer, the"
                        + " engine does not: make them agree");
            }
        }
    }

    /** chat_template: a string, or a list of {"name", "template"} of which "default" is taken. */
    static Optional<String> chatTemplate(JsonFile f) {
        Object v = f.root().get("chat_template");
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof String template) {
            return Optional.of(template);
        }
        if (!(v instanceof List<?> list)) {
            throw f.fault("chat_template", "must be a string or a list of named templates, not " + JsonFile.describe(v));
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String path = "chat_template[" + i + "]";
            Map<String, Object> named = f.object(list.get(i), path);
            String name = f.requireString(named, "name", path + ".name");
            String template = f.requireString(named, "template", path + ".template");
            if (name.equals("default")) {
                return Optional.of(template);
            }
            names.add(name);
        }
        throw f.fault("chat_template", "is a list of named templates " + names + " without one named 'default',"
                + " which is the one used for chat");
    }
}
