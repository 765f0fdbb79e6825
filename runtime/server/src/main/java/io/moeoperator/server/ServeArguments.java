package io.moeoperator.server;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code moe serve} command line, turned into the configuration keys that {@link
 * io.moeoperator.server.config.ServerConfig} (and Quarkus, for host and port) read. Flags are only
 * another way to set those keys, so there is a single typed entry point whichever way a value
 * arrives. Flags take {@code --flag VALUE} or {@code --flag=VALUE}.
 */
public record ServeArguments(Map<String, String> config, boolean help) {

    /** A flag, the configuration key it sets, and what it means (for --help). */
    record Flag(String name, String valueName, String key, String meaning) {}

    static final List<Flag> FLAGS = List.of(
            new Flag("--model", "PATH|DIR|hf://ORG/REPO[@REV]", "moe.model", "GGUF file or Hugging Face model directory to serve, or a Hugging Face repository (required)"),
            new Flag("--model-file", "FILE", "moe.model-file", "for hf:// models: the GGUF file in the repository"),
            new Flag("--model-cache", "DIR", "moe.model-cache", "where hf:// models are downloaded (HF_TOKEN, HF_ENDPOINT apply)"),
            new Flag("--model-format", "gguf|safetensors", "moe.model-format", "the model's format (default: detected, a file is GGUF, a directory safetensors)"),
            new Flag("--port", "N", "quarkus.http.port", "HTTP port (default 8000)"),
            new Flag("--host", "HOST", "quarkus.http.host", "interface to listen on (default 0.0.0.0)"),
            new Flag("--api-key", "KEY", "moe.api-key", "require 'Authorization: Bearer KEY' on /v1/ (or set MOE_API_KEY)"),
            new Flag("--served-model-name", "NAME", "moe.served-model-name", "model id clients use (default: file name)"),
            new Flag("--device", "cpu|cuda", "moe.device", "where the forward pass runs (default cpu)"),
            new Flag("--threads", "N", "moe.threads", "CPU threads for the forward pass (default: all)"),
            new Flag("--context-length", "N", "moe.context-length", "longest prompt + completion in tokens (default: the model's)"),
            new Flag("--chat-template", "PATH", "moe.chat-template", "Jinja chat template replacing the model's own"),
            new Flag("--metrics-labels", "K=V,..", "moe.metrics-labels", "labels added to every metric at /q/metrics"),
            new Flag("--max-num-seqs", "N", "moe.engine.max-num-seqs", "sequences running at once"),
            new Flag("--max-num-batched-tokens", "N", "moe.engine.max-num-batched-tokens", "tokens computed per step"),
            new Flag("--block-size", "N", "moe.engine.block-size", "KV-cache block size in tokens"),
            new Flag("--kv-cache-memory", "SIZE", "moe.engine.kv-cache-memory", "KV-cache memory, e.g. 512M, 4G"),
            new Flag("--max-waiting", "N", "moe.engine.max-waiting", "queued requests before HTTP 429"),
            new Flag("--ep-size", "N", "moe.ep.size", "expert parallelism: ranks sharing one model copy (default 1)"),
            new Flag("--ep-rank", "R|POD", "moe.ep.rank", "this process's rank, or a pod name ending in -<rank>"),
            new Flag("--ep-peers", "H:P,..", "moe.ep.peers", "every rank's expert-transport address, in rank order"),
            new Flag("--ep-port", "N", "moe.ep.port", "port for peers (default: this rank's entry in --ep-peers)"),
            new Flag("--ep-experts", "PLAN", "moe.ep.experts", "experts per rank, e.g. 0-3,4-7 (+ extra copies: 0-3+7); default equal shares"),
            new Flag("--ep-secret-file", "PATH", "moe.ep.secret-file", "file with the group's shared secret (required with --ep-size > 1)"),
            new Flag("--ep-timeout", "DURATION", "moe.ep.timeout", "longest wait for a peer per layer before requests fail (default 5s)"));

    /** @throws IllegalArgumentException naming the flag that is unknown or lacks its value */
    public static ServeArguments parse(String... args) {
        Map<String, String> config = new LinkedHashMap<>();
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                help = true;
                continue;
            }
            int eq = arg.indexOf('=');
            String name = eq > 0 ? arg.substring(0, eq) : arg;
            Flag flag = FLAGS.stream().filter(f -> f.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown option '" + name + "' for moe serve"));
            String value;
            if (eq > 0) {
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("option " + name + " needs a value");
            }
            config.put(flag.key(), value);
        }
        return new ServeArguments(Map.copyOf(config), help);
    }

    public static String usage() {
        StringBuilder sb = new StringBuilder("Usage: moe serve --model PATH [options]\n"
                + "Serves the model with an OpenAI-compatible API (/v1/models, /v1/completions,\n"
                + "/v1/chat/completions), health at /q/health and Prometheus metrics at /q/metrics.\n"
                + "Every option is also a configuration key (environment: upper case, '.' and '-' as '_').\n\n");
        for (Flag f : FLAGS) {
            sb.append(String.format("  %-32s %s  [%s]%n", f.name() + " " + f.valueName(), f.meaning(), f.key()));
        }
        return sb.toString();
    }
}
