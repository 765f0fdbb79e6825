package io.moeoperator.server.config;

import io.moeoperator.engine.exec.EngineConfig;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Everything {@code moe serve} can be told, in one place. Set by {@code bin/moe serve} flags (see
 * {@link io.moeoperator.server.ServeArguments}), environment variables ({@code MOE_MODEL},
 * {@code MOE_API_KEY}, {@code MOE_ENGINE_MAX_NUM_SEQS}, ...) or application.properties. The HTTP
 * host and port are Quarkus's own {@code quarkus.http.host} / {@code quarkus.http.port}.
 */
@ConfigMapping(prefix = "moe")
public interface ServerConfig {

    /**
     * The GGUF file or Hugging Face model directory (config.json, tokenizer files, *.safetensors) to
     * serve, or {@code hf://org/repo[@revision]} with {@link #modelFile()}.
     */
    String model();

    /** For hf:// models: the GGUF file in the repository. */
    Optional<String> modelFile();

    /** Where hf:// models are downloaded (and found again on the next start). */
    @WithDefault("${java.io.tmpdir}/moe-models")
    Path modelCache();

    /** gguf or safetensors; unset, it is detected (a file is GGUF, a directory a Hugging Face directory). */
    Optional<String> modelFormat();

    /** The id clients put in {@code "model"}; defaults to the file name without {@code .gguf}. */
    Optional<String> servedModelName();

    /** When set, every {@code /v1/} request must carry {@code Authorization: Bearer <key>}. */
    Optional<String> apiKey();

    /** CPU threads for the forward pass; defaults to every available processor. */
    OptionalInt threads();

    /** Where the forward pass runs: {@code cpu} (Vector API kernels) or {@code cuda}. */
    @WithDefault("cpu")
    Device device();

    enum Device { cpu, cuda }

    /** Longest prompt + completion in tokens; at most the model's context length, which is the default. */
    OptionalInt contextLength();

    /**
     * The container's memory in bytes (env {@code MOE_MEMORY_LIMIT}; the operator sets it from the
     * downward API's {@code limits.memory}). Unset: the cgroup v2 limit, else the cgroup v1 limit,
     * else the machine's memory. The start-up memory budget (docs/memory.md) shares it out.
     */
    OptionalLong memoryLimit();

    /**
     * The fixed part of N, the memory budget's non-heap overhead: what the JVM uses besides its heap,
     * the model and the KV cache (metaspace, code cache, thread stacks, Netty buffers, libjvm). N is
     * this plus heap/32 for the collector's structures; measured in docs/memory.md.
     */
    @WithDefault("192M")
    MemorySize memoryOverhead();

    /** Labels on every metric, {@code name=value,name2=value2} (the operator names the deployment and group). */
    Optional<String> metricsLabels();

    /** A Jinja chat template file that replaces the model's own {@code tokenizer.chat_template}. */
    Optional<Path> chatTemplate();

    /** Seconds a client is told to wait (Retry-After) when the queue is full. */
    @WithDefault("1")
    int retryAfterSeconds();

    Engine engine();

    /** Expert parallelism: this process is one rank of a group holding one model copy. */
    Ep ep();

    /**
     * The {@code --ep-*} flags. With {@code size} 1 (the default) the process holds every expert and
     * the other keys are ignored. {@link io.moeoperator.server.ep.ExpertGroupSettings} validates them.
     */
    interface Ep {
        @WithDefault("1")
        int size();

        /** An integer, or a StatefulSet pod name whose trailing {@code -<ordinal>} is the rank. */
        Optional<String> rank();

        /** Every rank's expert-transport address {@code host:port}, in rank order. */
        Optional<String> peers();

        /** The port to listen on for peers; must equal this rank's entry in {@code peers}. */
        OptionalInt port();

        /** The shard plan, e.g. {@code 0-3,4-7} or {@code 0-3+7,4-7}; default contiguous equal shares. */
        Optional<String> experts();

        /** A file holding the group's shared secret. */
        Optional<Path> secretFile();

        /** Longest wait for a peer's experts per layer; the step's requests fail after it. */
        @WithDefault("5s")
        Duration timeout();

        /** Interface to listen on for peers. */
        @WithDefault("0.0.0.0")
        String listenHost();

        /** Heartbeat on idle peer connections; three missed intervals drop the connection. */
        @WithDefault("1s")
        Duration heartbeat();

        /** Threads computing peers' calls (default: one per peer, at most 4). */
        OptionalInt serveThreads();
    }

    /**
     * Scheduling and cache sizes; anything unset takes {@link EngineConfig#defaults()}, but the KV
     * cache, which the start-up memory budget sizes.
     */
    interface Engine {
        OptionalInt maxNumSeqs();

        OptionalInt maxNumBatchedTokens();

        OptionalInt blockSize();

        /**
         * Memory for the latent KV cache, e.g. {@code 512M} or {@code 4G}. Unset: what the memory budget
         * leaves, at most what {@code max-num-seqs} sequences of the context need.
         */
        Optional<MemorySize> kvCacheMemory();

        /** Requests allowed to wait for a slot before new ones get HTTP 429. */
        OptionalInt maxWaiting();

        /**
         * The engine's own record validates the combination and names a bad value. The KV cache size
         * is {@code kv-cache-memory} or the engine's default until the memory budget replaces it.
         */
        default EngineConfig toEngineConfig() {
            EngineConfig d = EngineConfig.defaults();
            return new EngineConfig(
                    maxNumSeqs().orElse(d.maxNumSeqs()),
                    maxNumBatchedTokens().orElse(d.maxNumBatchedTokens()),
                    blockSize().orElse(d.blockSize()),
                    kvCacheMemory().map(MemorySize::asLongValue).orElse(d.kvCacheBytes()),
                    maxWaiting().orElse(d.maxWaiting()));
        }
    }
}
