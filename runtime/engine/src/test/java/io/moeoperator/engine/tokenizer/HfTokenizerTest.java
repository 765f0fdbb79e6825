package io.moeoperator.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moeoperator.engine.oracle.TokenizerCorpus;
import io.moeoperator.engine.synth.SyntheticVocab;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writing a synthetic model's tokenizer as Hugging Face files and reading it back gives the same
 * tokenizer; and the roles and chat template come from the files as documented on HfTokenizer.
 */
class HfTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The synthetic model's tokenizer as the GGUF path builds it (llama.cpp's rules). */
    static BpeTokenizer synthetic(int vocabSize, String pre) {
        SyntheticVocab v = SyntheticVocab.build(vocabSize, pre);
        return BpeTokenizer.create(v.tokens(), Arrays.stream(v.tokenTypes()).mapToObj(TokenType::fromGguf).toList(),
                v.merges(), PreTokenizer.fromGgufName(pre), SpecialTokens.of(v.bosId(), v.eosId(), true));
    }

    @Test
    void writingThenReadingGivesTheSameTokenizer() throws IOException {
        for (String pre : List.of("deepseek-v3", "deepseek-llm", "gpt-2", "default")) {
            BpeTokenizer written = synthetic(1024, pre);
            HfTokenizerWriter.write(written, Optional.of("{% for m in messages %}{{ m.content }}{% endfor %}"), dir);
            HfTokenizer read = HfTokenizer.load(dir);
            BpeTokenizer t = read.tokenizer();
            assertEquals(Optional.of("{% for m in messages %}{{ m.content }}{% endfor %}"), read.chatTemplate());
            assertEquals(written.vocabSize(), t.vocabSize());
            for (int id = 0; id < t.vocabSize(); id++) {
                assertEquals(written.tokenText(id), t.tokenText(id));
                assertEquals(written.tokenType(id), t.tokenType(id), "type of " + id);
            }
            assertEquals(written.bosId(), t.bosId());
            assertEquals(written.eosId(), t.eosId());
            assertEquals(written.addBos(), t.addBos());
            assertArrayEquals(written.endOfGenerationIds(), t.endOfGenerationIds());
            assertEquals(written.numMerges(), t.numMerges());
            int numTokens = 0;
            for (String text : TokenizerCorpus.all(300, 1)) {
                for (boolean addSpecial : new boolean[] {false, true}) {
                    int[] ids = written.encode(text, addSpecial, true);
                    assertArrayEquals(ids, t.encode(text, addSpecial, true), pre + ": ids of " + text);
                    assertEquals(written.decode(ids, true), t.decode(ids, true), pre + ": text of " + text);
                    numTokens += ids.length;
                }
                assertArrayEquals(written.encode(text, false, false), t.encode(text, false, false));
            }
            assertTrue(numTokens > 20_000, "compared " + numTokens + " tokens");
        }
    }

    @Test
    void rolesComeFromTheFilesInOrder() throws IOException {
        HfTokenizerWriter.write(synthetic(512, "deepseek-v3"), Optional.empty(), dir);
        int bos = 510;
        int eos = 511;
        // generation_config.json: every eos_token_id ends generation, and so does tokenizer_config's EOS.
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 510, \"eos_token_id\": [7, 9]}");
        BpeTokenizer t = HfTokenizer.load(dir).tokenizer();
        assertArrayEquals(new int[] {7, 9, eos}, t.endOfGenerationIds());
        assertEquals(eos, t.eosId());
        assertEquals(bos, t.encode("x", true, true)[0]);
        // add_bos_token false overrides the post_processor template, which still adds BOS.
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), config.put("add_bos_token", false));
        t = HfTokenizer.load(dir).tokenizer();
        assertFalse(t.addBos());
        assertArrayEquals(t.encode("x", false, true), t.encode("x", true, true));
        // Without tokenizer_config.json the template decides, and generation_config names EOS.
        Files.delete(dir.resolve("tokenizer_config.json"));
        t = HfTokenizer.load(dir).tokenizer();
        assertTrue(t.addBos());
        assertEquals(bos, t.bosId());
        assertEquals(7, t.eosId());
        assertArrayEquals(new int[] {7, 9}, t.endOfGenerationIds());
    }

    @Test
    void chatTemplateFromTheListOrTheJinjaFile() throws IOException {
        HfTokenizerWriter.write(synthetic(512, "deepseek-v3"), Optional.empty(), dir);
        assertEquals(Optional.empty(), HfTokenizer.load(dir).chatTemplate());
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
        var list = config.putArray("chat_template");
        list.addObject().put("name", "tool_use").put("template", "tools");
        list.addObject().put("name", "default").put("template", "chat");
        JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        assertEquals(Optional.of("chat"), HfTokenizer.load(dir).chatTemplate());
        // Newer transformers saves the template beside the config, and prefers that file.
        Files.writeString(dir.resolve("chat_template.jinja"), "from the file ✓");
        assertEquals(Optional.of("from the file ✓"), HfTokenizer.load(dir).chatTemplate());
    }

    @Test
    void writerRefusesWhatTokenizerJsonCannotHold() throws IOException {
        HfTokenizerWriter.write(synthetic(512, "deepseek-v3"), Optional.empty(), dir);
        BpeTokenizer read = HfTokenizer.load(dir).tokenizer();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HfTokenizerWriter.write(read, Optional.empty(), dir.resolve("again")));
        assertTrue(e.getMessage().contains("read from a tokenizer.json"), e.getMessage());
        BpeTokenizer withByteType = BpeTokenizer.create(List.of("a", "b"), List.of(TokenType.NORMAL, TokenType.BYTE),
                List.of(), PreTokenizer.GPT2, SpecialTokens.of(-1, -1, false));
        e = assertThrows(IllegalArgumentException.class,
                () -> HfTokenizerWriter.write(withByteType, Optional.empty(), dir.resolve("bytes")));
        assertEquals("token 1 'b' has type BYTE, which tokenizer.json cannot hold (supported: NORMAL, CONTROL,"
                + " USER_DEFINED)", e.getMessage());
    }
}
