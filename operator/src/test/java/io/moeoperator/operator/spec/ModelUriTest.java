package io.moeoperator.operator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelUriTest {

    @Test
    void parsesEachScheme() {
        assertEquals(new ModelUri.HuggingFace("deepseek-ai/DeepSeek-V2-Lite-Chat", null),
                ModelUri.parse("hf://deepseek-ai/DeepSeek-V2-Lite-Chat"));
        assertEquals(new ModelUri.HuggingFace("org/repo", "v1.0"), ModelUri.parse("hf://org/repo@v1.0"));
        assertEquals(new ModelUri.Pvc("models", "ds/v2-lite.Q8_0.gguf"), ModelUri.parse("pvc://models/ds/v2-lite.Q8_0.gguf"));
        assertEquals(new ModelUri.File("/opt/models/m.gguf"), ModelUri.parse("file:///opt/models/m.gguf"));
        assertEquals(new ModelUri.Synthetic(Map.of("experts", "8", "layers", "2", "router-bias", "")),
                ModelUri.parse("synthetic://?experts=8&layers=2&router-bias"));
        assertEquals(new ModelUri.Synthetic(Map.of()), ModelUri.parse("synthetic://"));
    }

    @Test
    void syntheticExpertsDefaultToMoeSynths() {
        assertEquals(ModelUri.Synthetic.DEFAULT_EXPERTS, ((ModelUri.Synthetic) ModelUri.parse("synthetic://")).experts());
        assertEquals(32, ((ModelUri.Synthetic) ModelUri.parse("synthetic://?experts=32")).experts());
    }

    @Test
    void displayNames() {
        assertEquals("DeepSeek-V2-Lite-Chat", ModelUri.parse("hf://deepseek-ai/DeepSeek-V2-Lite-Chat@main").displayName());
        assertEquals("v2-lite.Q8_0", ModelUri.parse("pvc://models/ds/v2-lite.Q8_0.gguf").displayName());
        assertEquals("synthetic", ModelUri.parse("synthetic://?experts=8").displayName());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''|is required",
            "s3://bucket/model.gguf|unknown scheme",
            "deepseek-ai/DeepSeek-V2|unknown scheme",
            "hf://just-a-name|must name a repository as hf://org/repo",
            "hf://org/repo@|empty or invalid revision",
            "pvc://Bad_Claim/m.gguf|must start with a claim name",
            "pvc://models|must name a file inside the claim",
            "pvc://models/../etc/passwd|must name a file inside the claim",
            "file://relative/m.gguf|must be an absolute file path",
            "synthetic://experts=8|takes options as a query",
            "synthetic://?experts=eight|option experts='eight' must be a whole number",
            "synthetic://?experts=-4|must not be negative",
            "synthetic://?rope-theta=x|must be a number",
            "synthetic://?wings=2|unknown option 'wings'",
            "synthetic://?router-bias=no|is a switch",
    })
    void rejectsWithAMessageThatSaysWhy(String uri, String expected) {
        var e = assertThrows(IllegalArgumentException.class, () -> ModelUri.parse(uri));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
