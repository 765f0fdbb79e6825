package io.moeoperator.engine.tokenizer;

import io.moeoperator.engine.model.ModelFileException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The tokenizer of a Hugging Face model directory, as published: tokenizer.json (required; see
 * {@link TokenizerJson}), tokenizer_config.json and generation_config.json (optional). Encoding
 * and decoding give what Hugging Face tokenizers gives for the same files.
 *
 * <p>Which tokens play which role, in order of precedence:
 * <ul>
 * <li>BOS is added when tokenizer_config.json's add_bos_token says so, or, when it is absent, when
 *     tokenizer.json's post_processor template adds a token before the text (transformers'
 *     LlamaTokenizerFast replaces the template from the two flags; each flag here overrides only its
 *     side). EOS likewise with add_eos_token and a token after the text.</li>
 * <li>The BOS token is tokenizer_config.json's bos_token, else the template's, else
 *     generation_config.json's bos_token_id; EOS likewise.</li>
 * <li>Generation ends at every id of generation_config.json's eos_token_id (a number or a list)
 *     and at the EOS token (as vLLM does).</li>
 * </ul>
 *
 * @param tokenizer    the configured tokenizer
 * @param chatTemplate the Jinja chat template: chat_template.jinja if the directory has one (newer
 *                     transformers saves it there, and prefers it), else tokenizer_config.json's
 *                     chat_template (a string, or the "default" of a list of named templates)
 */
public record HfTokenizer(BpeTokenizer tokenizer, Optional<String> chatTemplate) {
    public static final String TOKENIZER_JSON = "tokenizer.json";
    public static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";
    public static final String GENERATION_CONFIG_JSON = "generation_config.json";
    public static final String CHAT_TEMPLATE_JINJA = "chat_template.jinja";

    /**
     * Reads the tokenizer of a model directory.
     *
     * @throws ModelFileException if a file is missing, malformed or uses what the engine does not
     *                            support; the message names the directory, the file and the field
     */
    public static HfTokenizer load(Path modelDir) {
        if (!Files.isDirectory(modelDir)) {
            throw new ModelFileException("model directory " + modelDir + " is not a directory");
        }
        JsonFile tokenizerJson = JsonFile.readIfPresent(modelDir, TOKENIZER_JSON, TokenizerJson.DEFERRED).orElseThrow(() ->
                new ModelFileException("model directory " + modelDir + ": " + TOKENIZER_JSON + " is missing; the"
                        + " engine reads a Hugging Face model's tokenizer from it (not from vocab.json and"
                        + " merges.txt, nor from a SentencePiece tokenizer.model)"));
        TokenizerJson.Parsed parsed = TokenizerJson.parse(tokenizerJson);
        Optional<JsonFile> config = JsonFile.readIfPresent(modelDir, TOKENIZER_CONFIG_JSON);
        Optional<JsonFile> generation = JsonFile.readIfPresent(modelDir, GENERATION_CONFIG_JSON);
        config.ifPresent(c -> TokenizerConfig.checkConsistent(c, parsed));

        TokenizerConfig cfg = config.map(c -> TokenizerConfig.read(c, parsed)).orElse(TokenizerConfig.NONE);
        int genBos = generation.map(g -> optionalId(g, "bos_token_id", parsed)).orElse(-1);
        List<Integer> genEos = generation.map(g -> eosIds(g, parsed)).orElse(List.of());
        TokenizerJsonPipeline.Template tpl = parsed.template();

        boolean addBos = cfg.addBos().orElse(tpl.bos() >= 0);
        boolean addEos = cfg.addEos().orElse(tpl.eos() >= 0);
        int bos = firstSet(cfg.bos(), tpl.bos(), genBos);
        int eos = firstSet(cfg.eos(), tpl.eos(), genEos.isEmpty() ? -1 : genEos.getFirst());
        if (cfg.addBos().isEmpty() && tpl.bos() >= 0 && cfg.bos() >= 0 && cfg.bos() != tpl.bos()) {
            throw config.get().fault("bos_token", "is id " + cfg.bos() + ", but tokenizer.json's post_processor"
                    + " adds id " + tpl.bos() + " in front of the text; set add_bos_token to say which is meant");
        }
        if (addBos && bos < 0) {
            throw new ModelFileException("model directory " + modelDir + ": BOS is to be added (add_bos_token or"
                    + " the post_processor) but no file names a BOS token (tokenizer_config.json bos_token,"
                    + " generation_config.json bos_token_id)");
        }
        if (addEos && eos < 0) {
            throw new ModelFileException("model directory " + modelDir + ": EOS is to be added (add_eos_token or"
                    + " the post_processor) but no file names an EOS token (tokenizer_config.json eos_token,"
                    + " generation_config.json eos_token_id)");
        }
        SpecialTokens specials = SpecialTokens.of(bos, eos, addBos).withAddEos(addEos).with(SpecialToken.PAD, cfg.pad());
        List<Integer> eog = new ArrayList<>(genEos);
        if (eos >= 0) {
            eog.add(eos);
        }
        BpeTokenizer tokenizer = BpeTokenizer.huggingFace(parsed.texts(), parsed.pieceTexts(), parsed.types(), parsed.textToId(),
                parsed.merger(), parsed.segmenter(), specials, eog.stream().mapToInt(Integer::intValue).toArray());
        return new HfTokenizer(tokenizer, chatTemplate(modelDir, config));
    }

    private static int firstSet(int... ids) {
        for (int id : ids) {
            if (id >= 0) {
                return id;
            }
        }
        return -1;
    }

    /** A token id field that may be absent or null (-1 then); it must be inside the vocabulary. */
    private static int optionalId(JsonFile f, String name, TokenizerJson.Parsed parsed) {
        Object v = f.root().get(name);
        return v == null ? -1 : checkInVocab(f, name, f.id(v, name), parsed);
    }

    /** eos_token_id: a number or a list of numbers, all of which end a sequence. */
    private static List<Integer> eosIds(JsonFile f, TokenizerJson.Parsed parsed) {
        Object v = f.root().get("eos_token_id");
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> list)) {
            return List.of(checkInVocab(f, "eos_token_id", f.id(v, "eos_token_id"), parsed));
        }
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String path = "eos_token_id[" + i + "]";
            ids.add(checkInVocab(f, path, f.id(list.get(i), path), parsed));
        }
        return ids;
    }

    private static int checkInVocab(JsonFile f, String path, int id, TokenizerJson.Parsed parsed) {
        if (id >= parsed.vocabSize()) {
            throw f.fault(path, "is " + id + ", outside the vocabulary of " + parsed.vocabSize() + " tokens that "
                    + TOKENIZER_JSON + " defines");
        }
        return id;
    }

    private static Optional<String> chatTemplate(Path dir, Optional<JsonFile> config) {
        Path jinja = dir.resolve(CHAT_TEMPLATE_JINJA);
        if (Files.isRegularFile(jinja)) {
            try {
                return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(
                        java.nio.ByteBuffer.wrap(Files.readAllBytes(jinja))).toString());
            } catch (CharacterCodingException e) {
                throw new ModelFileException("model directory " + dir + ": " + CHAT_TEMPLATE_JINJA
                        + " is not valid UTF-8", e);
            } catch (IOException e) {
                throw new ModelFileException("model directory " + dir + ": " + CHAT_TEMPLATE_JINJA
                        + " cannot be read: " + e, e);
            }
        }
        return config.flatMap(TokenizerConfig::chatTemplate);
    }
}
