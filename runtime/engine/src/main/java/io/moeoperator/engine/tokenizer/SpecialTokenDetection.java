package io.moeoperator.engine.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * llama.cpp's text-based special-token detection (llama-vocab.cpp {@code impl::load}, b4916),
 * which GGUF files rely on because converters do not always write EOT/EOM/FIM ids:
 * <ol>
 * <li>For each of EOT, EOM and the six FIM roles that the metadata leaves unset, a token whose text
 *     is in the role's list below takes the role.</li>
 * <li>End-of-generation ids are: FIM_PAD, FIM_REP, FIM_SEP, every token whose text is in
 *     {@link #EOG_TEXTS}, then EOS, EOT and EOM.</li>
 * <li>Every token picked by text in steps 1 and 2 becomes CONTROL if it was not already, so it
 *     renders as nothing in plain decoding and is matched in text only when parsing specials.</li>
 * </ol>
 * When several tokens of one list are present, llama.cpp takes whichever its hash map yields first
 * (unspecified); we take the lowest id. Only the role differs: all of them are EOG either way when
 * they are in {@link #EOG_TEXTS}.
 */
final class SpecialTokenDetection {
    static final Map<SpecialToken, List<String>> ROLE_TEXTS = Map.of(
            SpecialToken.EOT, List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                    "<EOT>", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>"),
            SpecialToken.EOM, List.of("<|eom_id|>"),
            SpecialToken.FIM_PRE, List.of("<|fim_prefix|>", "<fim-prefix>", "<\uFF5Cfim\u2581begin\uFF5C>", "<PRE>"),
            SpecialToken.FIM_SUF, List.of("<|fim_suffix|>", "<fim-suffix>", "<\uFF5Cfim\u2581hole\uFF5C>", "<SUF>"),
            SpecialToken.FIM_MID, List.of("<|fim_middle|>", "<fim-middle>", "<\uFF5Cfim\u2581end\uFF5C>", "<MID>"),
            SpecialToken.FIM_PAD, List.of("<|fim_pad|>", "<fim-pad>", "<PAD>"),
            SpecialToken.FIM_REP, List.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>"),
            SpecialToken.FIM_SEP, List.of("<|file_sep|>"));

    /** Texts that end generation wherever they appear in a vocabulary. */
    static final List<String> EOG_TEXTS = List.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>");

    private static final List<SpecialToken> DETECTION_ORDER = List.of(SpecialToken.EOT, SpecialToken.EOM,
            SpecialToken.FIM_PRE, SpecialToken.FIM_SUF, SpecialToken.FIM_MID, SpecialToken.FIM_PAD,
            SpecialToken.FIM_REP, SpecialToken.FIM_SEP);

    /** The outcome: roles including detected ones, and the sorted end-of-generation ids. */
    record Result(SpecialTokens specials, int[] eogIds) {}

    private SpecialTokenDetection() {}

    /**
     * Runs the detection. {@code types} is updated in place where a token is promoted to CONTROL.
     *
     * @param textToId the vocabulary's lookup (for a text that occurs twice, its last id)
     */
    static Result detect(Map<String, Integer> textToId, TokenType[] types, SpecialTokens declared) {
        SpecialTokens specials = declared;
        for (SpecialToken role : DETECTION_ORDER) {
            if (specials.id(role) >= 0) {
                continue;
            }
            int found = lowestId(textToId, ROLE_TEXTS.get(role));
            if (found >= 0) {
                specials = specials.with(role, found);
                types[found] = TokenType.CONTROL;
            }
        }
        Set<Integer> eog = new TreeSet<>();
        for (SpecialToken role : List.of(SpecialToken.FIM_PAD, SpecialToken.FIM_REP, SpecialToken.FIM_SEP)) {
            addIfSet(eog, specials.id(role));
        }
        for (String text : EOG_TEXTS) {
            Integer id = textToId.get(text);
            if (id != null) {
                eog.add(id);
                types[id] = TokenType.CONTROL;
            }
        }
        for (SpecialToken role : List.of(SpecialToken.EOS, SpecialToken.EOT, SpecialToken.EOM)) {
            addIfSet(eog, specials.id(role));
        }
        return new Result(specials, eog.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int lowestId(Map<String, Integer> textToId, List<String> texts) {
        return texts.stream().map(textToId::get).filter(id -> id != null).mapToInt(Integer::intValue)
                .min().orElse(-1);
    }

    private static void addIfSet(Set<Integer> eog, int id) {
        if (id >= 0) {
            eog.add(id);
        }
    }

    static boolean contains(int[] sortedIds, int id) {
        return Arrays.binarySearch(sortedIds, id) >= 0;
    }
}
