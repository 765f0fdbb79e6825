package io.moeoperator.engine.tokenizer;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * Which token ids play the special roles, and whether encoding adds BOS/EOS. A role that is absent
 * has no token. This is what the model declares; {@link BpeTokenizer} may still find EOT, EOM and
 * FIM tokens by their text, as llama.cpp does.
 *
 * @param ids    role to token id
 * @param addBos whether {@code encode(text, addSpecial=true, ..)} prepends BOS
 *               ({@code tokenizer.ggml.add_bos_token})
 * @param addEos whether it appends EOS ({@code tokenizer.ggml.add_eos_token})
 */
public record SpecialTokens(Map<SpecialToken, Integer> ids, boolean addBos, boolean addEos) {
    public SpecialTokens {
        EnumMap<SpecialToken, Integer> copy = new EnumMap<>(SpecialToken.class);
        copy.putAll(ids);
        ids = Collections.unmodifiableMap(copy);
    }

    /** A model that declares only BOS and EOS (either may be -1 for none). */
    public static SpecialTokens of(int bosId, int eosId, boolean addBos) {
        return new SpecialTokens(Map.of(), addBos, false)
                .with(SpecialToken.BOS, bosId)
                .with(SpecialToken.EOS, eosId);
    }

    /** The id for a role, or -1 if the model has none. */
    public int id(SpecialToken role) {
        return ids.getOrDefault(role, -1);
    }

    /** A copy with the role set to the id, or removed when the id is negative. */
    public SpecialTokens with(SpecialToken role, int id) {
        EnumMap<SpecialToken, Integer> copy = new EnumMap<>(SpecialToken.class);
        copy.putAll(ids);
        if (id < 0) {
            copy.remove(role);
        } else {
            copy.put(role, id);
        }
        return new SpecialTokens(copy, addBos, addEos);
    }

    public SpecialTokens withAddEos(boolean add) {
        return new SpecialTokens(ids, addBos, add);
    }
}
