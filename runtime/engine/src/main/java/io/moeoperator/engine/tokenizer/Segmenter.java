package io.moeoperator.engine.tokenizer;

/**
 * How a {@link BpeTokenizer} cuts text into the pieces that byte-level BPE then works on: tokens
 * that are cut out whole (special and added tokens), and words that are merged one by one. The
 * merging itself is the same for every source of a vocabulary; this is what differs between them:
 * llama.cpp's rules for GGUF files ({@link SpecialTokenSplitter} then a {@link PreTokenizer}) and
 * Hugging Face tokenizers' rules for tokenizer.json ({@link HfSegmenter}).
 */
interface Segmenter {
    /** Receives the pieces of one text, in order. */
    interface Sink {
        /** A token cut out whole. */
        void token(int id);

        /**
         * A word to merge, as text (not yet in GPT-2 byte characters).
         *
         * @param textOffset where the word starts in the text being encoded (for error messages;
         *                   approximate after a normalizer has changed the text)
         */
        void word(String word, int textOffset);
    }

    /**
     * Cuts text into pieces.
     *
     * @param parseSpecial whether special tokens written literally in the text are cut out as
     *                     their ids; added tokens that are not special are cut out either way
     */
    void segment(String text, boolean parseSpecial, Sink sink);
}
