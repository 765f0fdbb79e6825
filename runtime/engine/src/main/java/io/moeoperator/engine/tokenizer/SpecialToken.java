package io.moeoperator.engine.tokenizer;

import java.util.List;

/**
 * The roles a vocabulary entry can play, each with the GGUF metadata keys that name its id. Where a
 * role has several keys, later ones win, because llama.cpp reads them in this order and the
 * deprecated FIM keys come last.
 */
public enum SpecialToken {
    BOS("tokenizer.ggml.bos_token_id"),
    EOS("tokenizer.ggml.eos_token_id"),
    /** End of turn (chat); ends generation. */
    EOT("tokenizer.ggml.eot_token_id"),
    /** End of message (tool call); ends generation. */
    EOM("tokenizer.ggml.eom_token_id"),
    PAD("tokenizer.ggml.padding_token_id"),
    FIM_PRE("tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.prefix_token_id"),
    FIM_SUF("tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.suffix_token_id"),
    FIM_MID("tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.middle_token_id"),
    /** Fill-in-the-middle padding; ends generation. */
    FIM_PAD("tokenizer.ggml.fim_pad_token_id"),
    /** Fill-in-the-middle repository name; ends generation. */
    FIM_REP("tokenizer.ggml.fim_rep_token_id"),
    /** Fill-in-the-middle file separator; ends generation. */
    FIM_SEP("tokenizer.ggml.fim_sep_token_id");

    private final List<String> ggufKeys;

    SpecialToken(String... ggufKeys) {
        this.ggufKeys = List.of(ggufKeys);
    }

    /** The metadata keys for this role, in the order llama.cpp reads them. */
    public List<String> ggufKeys() {
        return ggufKeys;
    }
}
