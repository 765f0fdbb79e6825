package io.moeoperator.engine.tokenizer;

import java.text.Normalizer;
import java.util.List;

/**
 * The normalizer of a tokenizer.json, limited to what byte-level BPE files use: none, the Unicode
 * normal forms, and sequences of them (DeepSeek-V3's is an empty sequence). Java's tables are
 * Unicode 16; tokenizers' are those of its unicode-normalization crate, so text with code points
 * assigned in between may normalize differently.
 */
record HfNormalizer(List<Normalizer.Form> forms) {
    static final HfNormalizer NONE = new HfNormalizer(List.of());

    HfNormalizer {
        forms = List.copyOf(forms);
    }

    boolean isNone() {
        return forms.isEmpty();
    }

    String normalize(String text) {
        String s = text;
        for (Normalizer.Form f : forms) {
            s = Normalizer.normalize(s, f);
        }
        return s;
    }
}
