package io.moeoperator.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moeoperator.engine.model.ModelFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed and unsupported model directories: each is one ModelFileException whose message names
 * the directory, the file and the field, with the offending value.
 */
class HfTokenizerMalformedTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TrainedVocab VOCAB = BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, 300,
            PreTokenizer.DEEPSEEK_V3, List.of("<bos>", "<eos>"));

    @TempDir
    Path dir;

    @BeforeEach
    void writeGoodDirectory() throws IOException {
        HfTokenizerWriter.write(VOCAB.tokenizer(PreTokenizer.DEEPSEEK_V3,
                SpecialTokens.of(VOCAB.idOf("<bos>"), VOCAB.idOf("<eos>"), true)), Optional.of("{{ x }}"), dir);
        assertEquals(300, HfTokenizer.load(dir).tokenizer().vocabSize());
    }

    @Test
    void missingTokenizerJson() throws IOException {
        Files.delete(dir.resolve("tokenizer.json"));
        assertFault("model directory " + dir + ": tokenizer.json is missing");
    }

    @Test
    void notADirectory() {
        ModelFileException e = assertThrows(ModelFileException.class, () -> HfTokenizer.load(dir.resolve("nope")));
        assertEquals("model directory " + dir.resolve("nope") + " is not a directory", e.getMessage());
    }

    @Test
    void invalidJsonSaysWhere() throws IOException {
        String text = Files.readString(dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer.json"), text.substring(0, text.length() / 2));
        assertFault("model directory " + dir + ": tokenizer.json is not valid JSON: ", "(line ");
        Files.writeString(dir.resolve("tokenizer.json"), "");
        assertFault("tokenizer.json must hold a JSON object, but holds nothing");
        Files.writeString(dir.resolve("tokenizer.json"), "[{}]");
        assertFault("tokenizer.json must hold a JSON object, but holds an array");
        Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": \"1.0\",\n  \"version\": \"1.0\"}");
        assertFault("tokenizer.json is not valid JSON: duplicate key \"version\" (line 2, column 3)");
        Files.write(dir.resolve("tokenizer.json"), new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'});
        assertFault("tokenizer.json is not valid UTF-8 text");
        Files.writeString(dir.resolve("generation_config.json"), "{} []");
        Files.writeString(dir.resolve("tokenizer.json"), text);
        assertFault("generation_config.json is not valid JSON: unexpected data after the document (line 1, column 4)");
    }

    @Test
    void unknownModelType() throws IOException {
        edit(t -> ((ObjectNode) t.get("model")).put("type", "WordPiece"));
        assertFault("model directory " + dir + ": tokenizer.json: model.type 'WordPiece' is not supported (supported: BPE)");
    }

    @Test
    void mergeNamingATokenNotInTheVocabulary() throws IOException {
        edit(t -> ((ArrayNode) t.get("model").get("merges")).insertArray(3).add("Ġ").add("zz"));
        assertFault("tokenizer.json: model.merges[3] names 'zz', which is not in model.vocab");
        edit(t -> ((ArrayNode) t.get("model").get("merges")).insertArray(0).add("q").add("Ġ"));
        assertFault("tokenizer.json: model.merges[0] merges 'q' and 'Ġ' into 'qĠ', which is not in model.vocab");
        edit(t -> ((ObjectNode) t.get("model")).putArray("merges").add("a b c"));
        assertFault("tokenizer.json: model.merges[0] 'a b c' is not two tokens separated by one space");
    }

    @Test
    void vocabularyAndMergesReadStraightFromTheTextAreCheckedAsStrictly() throws IOException {
        String good = Files.readString(dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer.json"), good.replaceFirst("\"vocab\":\\s*\\{", "\"vocab\": {\"Ġthe\": 7, "));
        assertFault("tokenizer.json is not valid JSON: duplicate key \"Ġthe\" (line ");
        edit(t -> ((ObjectNode) t.get("model").get("vocab")).put("zz", "7"));
        assertFault("tokenizer.json: model.vocab['zz'] must be a token id (a whole number from 0), not \"7\"");
        edit(t -> ((ObjectNode) t.get("model").get("vocab")).put("zz", 1000));
        assertFault("tokenizer.json: model.vocab['zz'] is 1000, but model.vocab has 299 entries, whose ids must run from 0 to 298");
        edit(t -> ((ObjectNode) t.get("model")).putArray("vocab"));
        assertFault("tokenizer.json: model.vocab must be an object, not []");
        edit(t -> ((ObjectNode) t.get("model")).remove("merges"));
        assertFault("tokenizer.json: model.merges is missing");
        edit(t -> ((ArrayNode) t.get("model").get("merges")).insert(2, "Ġ t"));
        assertFault("tokenizer.json: model.merges[2] must be a pair [left, right] like the merges before it, not \"Ġ t\"");
        edit(t -> ((ArrayNode) t.get("model").get("merges")).insertArray(1).add("Ġ").add("t").add("h"));
        assertFault("tokenizer.json: model.merges[1] must be a pair of strings [left, right] like the merges before it");
        edit(t -> ((ObjectNode) t.get("model")).putArray("merges").add("Ġ t").addArray().add("Ġ").add("t"));
        assertFault("tokenizer.json: model.merges[1] must be a string like the merges before it, not [\"Ġ\",\"t\"]");
        Files.writeString(dir.resolve("tokenizer.json"), good.replaceFirst("\"merges\":\\s*\\[", "\"merges\": [[\"a\" \"b\"], "));
        assertFault("tokenizer.json is not valid JSON: expected ',' or ']' (line ");
    }

    @Test
    void addedTokenIdClashingWithTheVocabulary() throws IOException {
        edit(t -> ((ArrayNode) t.get("added_tokens")).addObject().put("id", 5).put("content", "<tool>")
                .put("special", true));
        assertFault("tokenizer.json: added_tokens[2].id is 5, which model.vocab gives to '" + VOCAB.tokens().get(5)
                + "'; '<tool>' is not in model.vocab, so it needs an id of its own (Hugging Face tokenizers would give"
                + " it 300)");
        edit(t -> ((ArrayNode) t.get("added_tokens")).addObject().put("id", 301).put("content", "<gap>"));
        assertFault("tokenizer.json: added_tokens[2].id is 301, but Hugging Face tokenizers numbers the added tokens"
                + " that are not in model.vocab from 298 in file order, which gives '<gap>' the id 300");
        edit(t -> ((ObjectNode) t.get("model").get("vocab")).put("Ġthe", 7));
        assertFault("tokenizer.json: model.vocab['", "is 7, which model.vocab also gives to '");
    }

    @Test
    void unknownPreTokenizerType() throws IOException {
        edit(t -> ((ArrayNode) t.get("pre_tokenizer").get("pretokenizers")).insertObject(0).put("type", "Metaspace"));
        assertFault("tokenizer.json: pre_tokenizer.pretokenizers[0].type 'Metaspace' is not supported (supported:"
                + " ByteLevel, Split, Digits, Sequence of them)");
        edit(t -> ((ObjectNode) t.get("pre_tokenizer").get("pretokenizers").get(1).get("pattern")).put("Regex", "\\bx"));
        assertFault("tokenizer.json: pre_tokenizer.pretokenizers[1].pattern.Regex '\\bx' uses \\b (a word boundary)");
        edit(t -> ((ArrayNode) t.get("pre_tokenizer").get("pretokenizers")).remove(3));
        assertFault("tokenizer.json: pre_tokenizer must end in one ByteLevel and have no other (it has 0)");
        edit(t -> ((ObjectNode) t.get("pre_tokenizer").get("pretokenizers").get(0)).put("behavior", "Sideways"));
        assertFault("pre_tokenizer.pretokenizers[0].behavior 'Sideways' is not supported");
    }

    @Test
    void eosTokenIdBeyondTheVocabulary() throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [299, 300]}");
        assertFault("model directory " + dir + ": generation_config.json: eos_token_id[1] is 300, outside the"
                + " vocabulary of 300 tokens that tokenizer.json defines");
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": \"</s>\"}");
        assertFault("generation_config.json: eos_token_id must be a token id (a whole number from 0), not \"</s>\"");
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": -1}");
        assertFault("generation_config.json: bos_token_id must be a token id (a whole number from 0), not -1");
    }

    @Test
    void unsupportedModelOptionsAndPipeline() throws IOException {
        edit(t -> ((ObjectNode) t.get("model")).put("byte_fallback", true));
        assertFault("tokenizer.json: model.byte_fallback true is not supported");
        edit(t -> ((ObjectNode) t.get("model")).put("dropout", 0.1));
        assertFault("tokenizer.json: model.dropout 0.1 is not supported");
        edit(t -> t.putObject("normalizer").put("type", "Lowercase"));
        assertFault("tokenizer.json: normalizer.type 'Lowercase' is not supported");
        edit(t -> t.remove("decoder"));
        assertFault("tokenizer.json: decoder is missing");
        edit(t -> ((ObjectNode) t.get("post_processor")).put("type", "RobertaProcessing"));
        assertFault("tokenizer.json: post_processor.type 'RobertaProcessing' is not supported");
        edit(t -> t.put("version", "2.0"));
        assertFault("tokenizer.json: version '2.0' is not supported (supported: 1.0)");
    }

    @Test
    void tokenizerConfigFaults() throws IOException {
        editConfig(c -> c.put("bos_token", "<s>"));
        assertFault("tokenizer_config.json: bos_token '<s>' is not a token of tokenizer.json");
        editConfig(c -> c.putArray("chat_template").addObject().put("name", "tool_use").put("template", "x"));
        assertFault("tokenizer_config.json: chat_template is a list of named templates [tool_use] without one named"
                + " 'default'");
        editConfig(c -> c.put("add_prefix_space", true));
        assertFault("tokenizer_config.json: add_prefix_space is true but tokenizer.json's ByteLevel pre_tokenizer has false");
        editConfig(c -> c.putObject("added_tokens_decoder").putObject("298").put("content", "<other>"));
        assertFault("tokenizer_config.json: added_tokens_decoder['298'].content '<other>' differs from tokenizer.json,"
                + " where id 298 is '<bos>'");
        editConfig(c -> c.put("add_eos_token", true).putNull("eos_token"));
        Files.writeString(dir.resolve("generation_config.json"), "{}");
        assertFault("EOS is to be added (add_eos_token or the post_processor) but no file names an EOS token");
    }

    private void edit(Consumer<ObjectNode> change) throws IOException {
        rewrite("tokenizer.json", change);
    }

    private void editConfig(Consumer<ObjectNode> change) throws IOException {
        rewrite("tokenizer_config.json", change);
    }

    /** Applies a change to a freshly written file (each fault is tested on its own). */
    private void rewrite(String file, Consumer<ObjectNode> change) throws IOException {
        writeGoodDirectory();
        ObjectNode root = (ObjectNode) JSON.readTree(dir.resolve(file).toFile());
        change.accept(root);
        JSON.writeValue(dir.resolve(file).toFile(), root);
    }

    private void assertFault(String... parts) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> HfTokenizer.load(dir));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "expected \"" + part + "\" in: " + e.getMessage());
        }
        assertTrue(e.getMessage().startsWith("model directory " + dir), e.getMessage());
    }
}
