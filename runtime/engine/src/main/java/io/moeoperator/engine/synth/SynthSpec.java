package io.moeoperator.engine.synth;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.model.GatingFunction;

/**
 * Hyper-parameters of a synthetic deepseek2 model. Defaults make a small demo model that loads in
 * a second and generates quickly on a laptop CPU; every field can be set to realistic sizes.
 *
 * @param qLoraRank 0 = plain query projection. llama.cpp b4916 allows that only with 27 layers.
 * @param yarnFactor 0 = no YaRN; otherwise the YaRN context factor
 * @param logitScale scales the output head so random models have clear (untied) greedy choices
 */
public record SynthSpec(
        int vocabSize, int hidden, int numLayers, int numHeads, int qLoraRank, int kvLoraRank,
        int qkNope, int qkRope, int vHead, int ffDense, int ffExpert, int numExperts, int numExpertsUsed,
        int numSharedExperts, int numDenseLeading, int contextLength, GatingFunction gating,
        boolean expertWeightsNorm, float expertWeightsScale, boolean routerBias, float yarnFactor,
        int yarnOriginalContext, float yarnLogMultiplier, float ropeTheta, float rmsEps,
        GgmlType weightType, float logitScale, String preTokenizer, long seed) {

    public static SynthSpec demo() {
        return new SynthSpec(512, 256, 4, 4, 96, 64, 32, 16, 32, 512, 128, 16, 4, 1, 1, 2048,
                GatingFunction.SOFTMAX, false, 1f, false, 0f, 0, 0f, 10000f, 1e-6f,
                GgmlType.F32, 3f, "deepseek-v3", 42);
    }

    public SynthSpec {
        positive("vocab-size", vocabSize);
        positive("hidden", hidden);
        positive("layers", numLayers);
        positive("heads", numHeads);
        positive("kv-lora-rank", kvLoraRank);
        positive("qk-nope", qkNope);
        positive("qk-rope", qkRope);
        positive("v-head", vHead);
        positive("context-length", contextLength);
        if (qkRope % 2 != 0) {
            throw new IllegalArgumentException("--qk-rope must be even, got " + qkRope);
        }
        if (qLoraRank < 0) {
            throw new IllegalArgumentException("--q-lora-rank must be >= 0, got " + qLoraRank);
        }
        if (numDenseLeading < 0 || numDenseLeading > numLayers) {
            throw new IllegalArgumentException("--dense-layers must be in 0.." + numLayers + ", got " + numDenseLeading);
        }
        if (numDenseLeading > 0) {
            positive("ff-dense", ffDense);
        }
        if (numDenseLeading < numLayers) {
            positive("experts", numExperts);
            positive("ff-expert", ffExpert);
            if (numExpertsUsed < 1 || numExpertsUsed > numExperts) {
                throw new IllegalArgumentException("--experts-used must be in 1.." + numExperts + ", got " + numExpertsUsed);
            }
            if (numSharedExperts < 0) {
                throw new IllegalArgumentException("--shared-experts must be >= 0, got " + numSharedExperts);
            }
        }
        if (weightType.blockSize() > 1) {
            int b = weightType.blockSize();
            int[] inputs = {hidden, qLoraRank, kvLoraRank, ffDense, ffExpert, numHeads * vHead};
            for (int in : inputs) {
                if (in % b != 0) {
                    throw new IllegalArgumentException(weightType + " weights need every matrix input dimension to be a"
                            + " multiple of " + b + "; got " + in + " (hidden, q-lora, kv-lora, ff sizes, heads*v-head)");
                }
            }
        }
        if (yarnFactor != 0 && (yarnFactor <= 1 || yarnOriginalContext <= 0)) {
            throw new IllegalArgumentException("--yarn-factor must be > 1 with --yarn-original-context > 0");
        }
    }

    private static void positive(String flag, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("--" + flag + " must be > 0, got " + v);
        }
    }

    public int numHeadsTimesQk() {
        return numHeads * (qkNope + qkRope);
    }

    /** Starts from the demo defaults; set what differs. */
    public static Builder builder() {
        return new Builder(demo());
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Mutable builder: tests and the command line change a few fields of the defaults. */
    public static final class Builder {
        private int vocabSize;
        private int hidden;
        private int numLayers;
        private int numHeads;
        private int qLoraRank;
        private int kvLoraRank;
        private int qkNope;
        private int qkRope;
        private int vHead;
        private int ffDense;
        private int ffExpert;
        private int numExperts;
        private int numExpertsUsed;
        private int numSharedExperts;
        private int numDenseLeading;
        private int contextLength;
        private GatingFunction gating;
        private boolean expertWeightsNorm;
        private float expertWeightsScale;
        private boolean routerBias;
        private float yarnFactor;
        private int yarnOriginalContext;
        private float yarnLogMultiplier;
        private float ropeTheta;
        private float rmsEps;
        private GgmlType weightType;
        private float logitScale;
        private String preTokenizer;
        private long seed;

        private Builder(SynthSpec s) {
            vocabSize = s.vocabSize();
            hidden = s.hidden();
            numLayers = s.numLayers();
            numHeads = s.numHeads();
            qLoraRank = s.qLoraRank();
            kvLoraRank = s.kvLoraRank();
            qkNope = s.qkNope();
            qkRope = s.qkRope();
            vHead = s.vHead();
            ffDense = s.ffDense();
            ffExpert = s.ffExpert();
            numExperts = s.numExperts();
            numExpertsUsed = s.numExpertsUsed();
            numSharedExperts = s.numSharedExperts();
            numDenseLeading = s.numDenseLeading();
            contextLength = s.contextLength();
            gating = s.gating();
            expertWeightsNorm = s.expertWeightsNorm();
            expertWeightsScale = s.expertWeightsScale();
            routerBias = s.routerBias();
            yarnFactor = s.yarnFactor();
            yarnOriginalContext = s.yarnOriginalContext();
            yarnLogMultiplier = s.yarnLogMultiplier();
            ropeTheta = s.ropeTheta();
            rmsEps = s.rmsEps();
            weightType = s.weightType();
            logitScale = s.logitScale();
            preTokenizer = s.preTokenizer();
            seed = s.seed();
        }

        public Builder vocabSize(int v) {
            vocabSize = v;
            return this;
        }

        public Builder hidden(int v) {
            hidden = v;
            return this;
        }

        public Builder numLayers(int v) {
            numLayers = v;
            return this;
        }

        public Builder numHeads(int v) {
            numHeads = v;
            return this;
        }

        public Builder qLoraRank(int v) {
            qLoraRank = v;
            return this;
        }

        public Builder kvLoraRank(int v) {
            kvLoraRank = v;
            return this;
        }

        public Builder qkNope(int v) {
            qkNope = v;
            return this;
        }

        public Builder qkRope(int v) {
            qkRope = v;
            return this;
        }

        public Builder vHead(int v) {
            vHead = v;
            return this;
        }

        public Builder ffDense(int v) {
            ffDense = v;
            return this;
        }

        public Builder ffExpert(int v) {
            ffExpert = v;
            return this;
        }

        public Builder numExperts(int v) {
            numExperts = v;
            return this;
        }

        public Builder numExpertsUsed(int v) {
            numExpertsUsed = v;
            return this;
        }

        public Builder numSharedExperts(int v) {
            numSharedExperts = v;
            return this;
        }

        public Builder numDenseLeading(int v) {
            numDenseLeading = v;
            return this;
        }

        public Builder contextLength(int v) {
            contextLength = v;
            return this;
        }

        public Builder gating(GatingFunction v) {
            gating = v;
            return this;
        }

        public Builder expertWeightsNorm(boolean v) {
            expertWeightsNorm = v;
            return this;
        }

        public Builder expertWeightsScale(float v) {
            expertWeightsScale = v;
            return this;
        }

        public Builder routerBias(boolean v) {
            routerBias = v;
            return this;
        }

        public Builder yarnFactor(float v) {
            yarnFactor = v;
            return this;
        }

        public Builder yarnOriginalContext(int v) {
            yarnOriginalContext = v;
            return this;
        }

        public Builder yarnLogMultiplier(float v) {
            yarnLogMultiplier = v;
            return this;
        }

        public Builder ropeTheta(float v) {
            ropeTheta = v;
            return this;
        }

        public Builder rmsEps(float v) {
            rmsEps = v;
            return this;
        }

        public Builder weightType(GgmlType v) {
            weightType = v;
            return this;
        }

        public Builder logitScale(float v) {
            logitScale = v;
            return this;
        }

        public Builder preTokenizer(String v) {
            preTokenizer = v;
            return this;
        }

        public Builder seed(long v) {
            seed = v;
            return this;
        }

        public SynthSpec build() {
            return new SynthSpec(vocabSize, hidden, numLayers, numHeads, qLoraRank, kvLoraRank, qkNope, qkRope, vHead, ffDense, ffExpert, numExperts, numExpertsUsed, numSharedExperts, numDenseLeading, contextLength, gating, expertWeightsNorm, expertWeightsScale, routerBias, yarnFactor, yarnOriginalContext, yarnLogMultiplier, ropeTheta, rmsEps, weightType, logitScale, preTokenizer, seed);
        }
    }
}
