package io.moeoperator.engine.tokenizer;

import io.moeoperator.engine.gguf.GgufMetadata;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Byte-level BPE tokenizer. Read from GGUF ({@code tokenizer.ggml.model = "gpt2"}, {@link #fromGguf})
 * it reproduces llama.cpp b4916's tokenize and token-to-piece, which the engine's integration tests
 * use as the oracle; read from a Hugging Face tokenizer.json ({@link HfTokenizer}) it reproduces
 * Hugging Face tokenizers instead. Encoding: the text is cut into tokens taken whole and words
 * ({@link Segmenter}: llama.cpp's or Hugging Face's rules), and each word is merged
 * ({@link BpeMerger}, the same for both). Immutable and safe to share between threads.
 *
 * <p>Where we deliberately differ from both oracles: a byte that has no token and no merge covering
 * it is an error here (llama.cpp and Hugging Face silently drop it); for GGUF, special ids in the
 * metadata that are outside the vocabulary are ignored as in llama.cpp, but the GPT-2 default id 11
 * for BOS/EOS is used only when the vocabulary has an id 11.
 */
public final class BpeTokenizer {
    private static final System.Logger LOG = System.getLogger(BpeTokenizer.class.getName());
    /** llama.cpp's BOS and EOS for a "gpt2" vocabulary whose metadata names none (GPT-2's own). */
    private static final int GPT2_DEFAULT_BOS_EOS = 11;

    private final String[] texts;
    private final TokenType[] types;
    private final Map<String, Integer> textToId;
    private final BpeMerger merger;
    private final Segmenter segmenter;
    /** The llama.cpp pre-tokenizer; null for a tokenizer read from tokenizer.json. */
    private final PreTokenizer pre;
    private final SpecialTokens specials;
    private final int[] eogIds;
    /**
     * For a tokenizer read from tokenizer.json, the texts that Hugging Face's ByteLevel decoder
     * turns into each token's piece; null for llama.cpp's pieces.
     */
    private final String[] hfPieceTexts;

    private BpeTokenizer(String[] texts, TokenType[] types, Map<String, Integer> textToId, BpeMerger merger,
            Segmenter segmenter, PreTokenizer pre, SpecialTokens specials, int[] eogIds, String[] hfPieceTexts) {
        this.texts = texts;
        this.types = types;
        this.textToId = textToId;
        this.merger = merger;
        this.segmenter = segmenter;
        this.pre = pre;
        this.specials = specials;
        this.eogIds = eogIds;
        this.hfPieceTexts = hfPieceTexts;
    }

    /** llama.cpp's way: special tokens by type (and some by text), then the pre-tokenizer's words. */
    private static BpeTokenizer llamaCpp(List<String> tokens, List<TokenType> tokenTypes, List<String> merges,
            PreTokenizer pre, SpecialTokens declared) {
        int n = tokens.size();
        if (tokenTypes.size() != n) {
            throw new IllegalArgumentException("token types (tokenizer.ggml.token_type) has " + tokenTypes.size()
                    + " entries but there are " + n + " tokens; they must match one to one");
        }
        for (var e : declared.ids().entrySet()) {
            if (e.getValue() >= n) {
                throw new IllegalArgumentException(e.getKey() + " token id " + e.getValue()
                        + " is outside the vocabulary of " + n + " tokens");
            }
        }
        String[] texts = new String[n];
        TokenType[] types = tokenTypes.toArray(new TokenType[0]);
        Map<String, Integer> textToId = HashMap.newHashMap(n);
        for (int id = 0; id < n; id++) {
            // As llama.cpp: an empty entry gets a placeholder text; a repeated text maps to its last id.
            String text = tokens.get(id).isEmpty() ? "[EMPTY_" + id + "]" : tokens.get(id);
            texts[id] = text;
            textToId.put(text, id);
        }
        BpeMerger merger = BpeMerger.create(merges, textToId);
        SpecialTokenDetection.Result detected = SpecialTokenDetection.detect(textToId, types, declared);
        SpecialTokenSplitter splitter = new SpecialTokenSplitter(texts, types);
        Segmenter segmenter = (text, parseSpecial, sink) -> {
            for (SpecialTokenSplitter.Segment s : splitter.split(text, parseSpecial)) {
                if (!s.isText()) {
                    sink.token(s.tokenId());
                    continue;
                }
                String fragment = text.substring(s.start(), s.end());
                int wordStart = 0;
                for (int wordEnd : pre.splitBounds(fragment)) {
                    sink.word(fragment.substring(wordStart, wordEnd), s.start() + wordStart);
                    wordStart = wordEnd;
                }
            }
        };
        return new BpeTokenizer(texts, types, textToId, merger, segmenter, pre, detected.specials(),
                detected.eogIds(), null);
    }

    /**
     * A tokenizer with Hugging Face's rules, assembled from tokenizer.json ({@link TokenizerJson}):
     * no llama.cpp detection of special tokens by their text, end-of-generation ids exactly as
     * given, pieces as Hugging Face's ByteLevel decoder makes them.
     *
     * @param textToId   every token text (vocabulary and added tokens) to its id
     * @param pieceTexts what each token decodes from (see {@link #piece})
     * @param types      CONTROL for the tokens that decoding without special tokens leaves out
     */
    static BpeTokenizer huggingFace(String[] texts, String[] pieceTexts, TokenType[] types,
            Map<String, Integer> textToId, BpeMerger merger, Segmenter segmenter, SpecialTokens specials, int[] eogIds) {
        return new BpeTokenizer(texts, types, textToId, merger, segmenter, null, specials,
                IntStream.of(eogIds).sorted().distinct().toArray(), pieceTexts);
    }

    /**
     * A tokenizer from plain lists, for tests and for writing synthetic models.
     *
     * @param tokens     token texts in GPT-2 byte characters, index = id
     * @param tokenTypes one type per token
     * @param merges     merge lines "left right", lowest rank first
     */
    public static BpeTokenizer create(List<String> tokens, List<TokenType> tokenTypes, List<String> merges,
            PreTokenizer pre, SpecialTokens specials) {
        return llamaCpp(tokens, tokenTypes, merges, pre, specials);
    }

    /**
     * Reads the tokenizer from GGUF metadata, with llama.cpp's defaults: no pre-tokenizer key means
     * "default"; no token types means all NORMAL; add_bos_token and add_eos_token default to false
     * for the supported pre-tokenizers; BOS and EOS default to id 11.
     */
    public static BpeTokenizer fromGguf(GgufMetadata md) {
        String model = md.getString("tokenizer.ggml.model");
        if (!model.equals("gpt2")) {
            throw new IllegalArgumentException("tokenizer.ggml.model '" + model + "' is not supported: only 'gpt2'"
                    + " (byte-level BPE) is supported");
        }
        PreTokenizer pre = PreTokenizer.fromGgufName(md.findString("tokenizer.ggml.pre").orElse(null));
        List<String> tokens = md.getStringList("tokenizer.ggml.tokens");
        List<TokenType> types = new ArrayList<>(tokens.size());
        if (md.has("tokenizer.ggml.token_type")) {
            for (int t : md.getIntArray("tokenizer.ggml.token_type")) {
                types.add(TokenType.fromGguf(t));
            }
        } else {
            tokens.forEach(t -> types.add(TokenType.NORMAL));
        }
        List<String> merges = md.getStringList("tokenizer.ggml.merges");
        SpecialTokens specials = new SpecialTokens(Map.of(), md.getBool("tokenizer.ggml.add_bos_token", false),
                md.getBool("tokenizer.ggml.add_eos_token", false));
        if (GPT2_DEFAULT_BOS_EOS < tokens.size()) {
            specials = specials.with(SpecialToken.BOS, GPT2_DEFAULT_BOS_EOS)
                    .with(SpecialToken.EOS, GPT2_DEFAULT_BOS_EOS);
        }
        for (SpecialToken role : SpecialToken.values()) {
            for (String key : role.ggufKeys()) {
                if (!md.has(key)) {
                    continue;
                }
                long id = md.getLong(key);
                if (id < 0 || id >= tokens.size()) {
                    // llama.cpp warns and keeps the default; so do we.
                    LOG.log(System.Logger.Level.WARNING, "ignoring " + key + " = " + id + ": outside the vocabulary of "
                            + tokens.size() + " tokens");
                } else {
                    specials = specials.with(role, (int) id);
                }
            }
        }
        return llamaCpp(tokens, types, merges, pre, specials);
    }

    /**
     * Encodes text to token ids, as llama.cpp's {@code llama_tokenize}; for a tokenizer read from
     * tokenizer.json, as Hugging Face's {@code Tokenizer.encode} (addSpecial is add_special_tokens,
     * parseSpecial the opposite of encode_special_tokens).
     *
     * @param addSpecial   add the model's BOS in front if it asks for one (add_bos_token) and its EOS
     *                     at the end if it asks for one (add_eos_token); llama.cpp's add_special
     * @param parseSpecial match CONTROL tokens written literally in the text (e.g. "&lt;|im_end|&gt;")
     *                     as their ids; otherwise they are encoded as plain text. USER_DEFINED tokens
     *                     are matched either way, as in llama.cpp
     * @throws IllegalArgumentException if a byte of the text has no token (see the class comment).
     *                                  An unpaired surrogate in the text is encoded as '?', which is
     *                                  what Java's UTF-8 encoder makes of it
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 3 + 2);
        if (addSpecial && specials.addBos()) {
            out.add(requireRole(SpecialToken.BOS, "tokenizer.ggml.add_bos_token"));
        }
        segmenter.segment(text, parseSpecial, new Segmenter.Sink() {
            @Override
            public void token(int id) {
                out.add(id);
            }

            @Override
            public void word(String word, int textOffset) {
                merger.encodeWord(word, textOffset, out);
            }
        });
        if (addSpecial && specials.addEos()) {
            out.add(requireRole(SpecialToken.EOS, "tokenizer.ggml.add_eos_token"));
        }
        return out.toArray();
    }

    private int requireRole(SpecialToken role, String flag) {
        int id = specials.id(role);
        if (id < 0) {
            throw new IllegalStateException(flag + " is true but the model has no " + role + " token");
        }
        return id;
    }

    /**
     * Decodes ids to text as concatenated llama.cpp pieces with special=false: CONTROL and UNKNOWN
     * tokens render as nothing, USER_DEFINED as their text, NORMAL as their bytes; BYTE, UNUSED and
     * UNDEFINED entries render as nothing (llama.cpp's BPE path suppresses them). Bytes that do not
     * form valid UTF-8 become U+FFFD. No space clean-up is applied (that is only in llama.cpp's
     * {@code llama_detokenize}, and only for some pre-tokenizers). For a tokenizer read from
     * tokenizer.json: Hugging Face's {@code decode(ids, skip_special_tokens=True)}.
     */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * As {@link #decode(int[])}, but CONTROL and UNKNOWN tokens render as their text if asked
     * (Hugging Face's skip_special_tokens=False).
     */
    public String decode(int[] ids, boolean renderSpecial) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            out.writeBytes(piece(id, renderSpecial));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * The bytes a token stands for: llama.cpp's token_to_piece with special=true. For a NORMAL token
     * the GPT-2 byte mapping is undone; CONTROL, UNKNOWN and USER_DEFINED tokens give their text's
     * UTF-8; other types give nothing. May be an incomplete UTF-8 sequence.
     */
    public byte[] tokenBytes(int id) {
        return piece(id, true);
    }

    /**
     * llama.cpp's {@code token_to_piece} for the BPE vocabulary type; for a tokenizer read from
     * tokenizer.json, Hugging Face's ByteLevel decoder, which treats every token alike (see
     * {@link ByteLevel#decodeHf}) and leaves out special tokens unless asked for them.
     */
    byte[] piece(int id, boolean renderSpecial) {
        TokenType type = types[checkId(id)];
        if (hfPieceTexts != null) {
            return type == TokenType.CONTROL && !renderSpecial ? new byte[0] : ByteLevel.decodeHf(hfPieceTexts[id]);
        }
        return switch (type) {
            case CONTROL, UNKNOWN -> renderSpecial ? texts[id].getBytes(StandardCharsets.UTF_8) : new byte[0];
            case USER_DEFINED -> texts[id].getBytes(StandardCharsets.UTF_8);
            case NORMAL -> ByteLevel.decodeTokenText(texts[id]);
            case BYTE, UNUSED, UNDEFINED -> new byte[0];
        };
    }

    private int checkId(int id) {
        if (id < 0 || id >= texts.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + texts.length
                    + " tokens");
        }
        return id;
    }

    public int vocabSize() {
        return texts.length;
    }

    /** The BOS id, or -1 if the model has none. */
    public int bosId() {
        return specials.id(SpecialToken.BOS);
    }

    /** The EOS id, or -1 if the model has none. */
    public int eosId() {
        return specials.id(SpecialToken.EOS);
    }

    /** The EOT id (declared, or found by its text), or -1. */
    public int eotId() {
        return specials.id(SpecialToken.EOT);
    }

    /** The padding id, or -1. */
    public int padId() {
        return specials.id(SpecialToken.PAD);
    }

    /** Whether the model asks for BOS in front of a prompt (tokenizer.ggml.add_bos_token). */
    public boolean addBos() {
        return specials.addBos();
    }

    /** Whether the model asks for EOS after a prompt (tokenizer.ggml.add_eos_token). */
    public boolean addEos() {
        return specials.addEos();
    }

    /** All special roles, including EOT/EOM/FIM tokens found by their text. */
    public SpecialTokens specialTokens() {
        return specials;
    }

    /** Whether sampling this token ends generation (llama.cpp's {@code llama_vocab_is_eog}). */
    public boolean isEndOfGeneration(int id) {
        return SpecialTokenDetection.contains(eogIds, id);
    }

    /** The end-of-generation ids, ascending. */
    public int[] endOfGenerationIds() {
        return eogIds.clone();
    }

    /** The token's vocabulary text (in GPT-2 byte characters for NORMAL tokens). */
    public String tokenText(int id) {
        return texts[checkId(id)];
    }

    /** The token's type, after llama.cpp's promotion of EOG/EOT/FIM texts to CONTROL. */
    public TokenType tokenType(int id) {
        return types[checkId(id)];
    }

    /** The id whose vocabulary text is exactly this, or -1. */
    public int tokenId(String text) {
        return textToId.getOrDefault(text, -1);
    }

    /** The llama.cpp pre-tokenizer of a tokenizer read from GGUF; empty for one read from tokenizer.json. */
    public Optional<PreTokenizer> preTokenizer() {
        return Optional.ofNullable(pre);
    }

    public int numMerges() {
        return merger.numMerges();
    }

    /** The merges as (left, right) pairs, lowest rank first (a repeated pair once, at its rank). */
    public List<String[]> merges() {
        return merger.pairsInRankOrder();
    }
}
