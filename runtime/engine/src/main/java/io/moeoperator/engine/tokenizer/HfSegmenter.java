package io.moeoperator.engine.tokenizer;

/**
 * Hugging Face tokenizers' way from text to words ({@code AddedVocabulary::extract_and_normalize},
 * then the pre-tokenizer): first the added tokens that are not normalized are cut out of the text
 * as written; each remaining piece is normalized and the normalized added tokens are cut out of
 * it; what remains is split into words by the pre-tokenizer.
 */
final class HfSegmenter implements Segmenter {
    private final AddedTokenMatcher raw;
    private final AddedTokenMatcher normalizedTokens;
    private final HfNormalizer normalizer;
    private final HfPreTokenizer pre;

    HfSegmenter(AddedTokenMatcher raw, AddedTokenMatcher normalizedTokens, HfNormalizer normalizer,
            HfPreTokenizer pre) {
        this.raw = raw;
        this.normalizedTokens = normalizedTokens;
        this.normalizer = normalizer;
        this.pre = pre;
    }

    @Override
    public void segment(String text, boolean parseSpecial, Sink sink) {
        raw.split(text, parseSpecial, new AddedTokenMatcher.PieceSink() {
            @Override
            public void token(int id) {
                sink.token(id);
            }

            @Override
            public void text(int start, int end) {
                normalizedPiece(text.substring(start, end), start, parseSpecial, sink);
            }
        });
    }

    private void normalizedPiece(String piece, int offset, boolean parseSpecial, Sink sink) {
        String normalized = normalizer.normalize(piece);
        normalizedTokens.split(normalized, parseSpecial, new AddedTokenMatcher.PieceSink() {
            @Override
            public void token(int id) {
                sink.token(id);
            }

            @Override
            public void text(int start, int end) {
                // Offsets into the normalized text stand for offsets into the original only when
                // the normalizer changed nothing; they serve error messages alone.
                int at = offset + start;
                for (String word : pre.split(normalized.substring(start, end))) {
                    sink.word(word, at);
                    at += word.length();
                }
            }
        });
    }
}
