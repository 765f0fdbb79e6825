package io.moeoperator.operator.spec;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where a model comes from: {@code hf://org/repo[@revision]}, {@code pvc://claim/path},
 * {@code file:///absolute/path} or {@code synthetic://?key=value&...}.
 */
public sealed interface ModelUri {

    /** A Hugging Face repository, downloaded by the runtime into the model cache. */
    record HuggingFace(String repository, String revision) implements ModelUri {
        @Override public String displayName() { return repository.substring(repository.indexOf('/') + 1); }
    }

    /** A path inside an existing PersistentVolumeClaim, mounted read-only. */
    record Pvc(String claim, String path) implements ModelUri {
        @Override public String displayName() { return baseName(path); }
    }

    /** A path already inside the image (or a volume the user mounts). */
    record File(String path) implements ModelUri {
        @Override public String displayName() { return baseName(path); }
    }

    /** A generated demo model: the keys are {@code moe synth} options without their dashes. */
    record Synthetic(Map<String, String> options) implements ModelUri {
        /** Routed experts of {@code moe synth} when {@code experts} is not given (SynthSpec.demo()). */
        public static final int DEFAULT_EXPERTS = 16;

        /** The `moe synth` options a URI may set, with whether each takes a number. */
        public static final Set<String> INTEGER_OPTIONS = Set.of("seed", "vocab-size", "hidden", "layers", "heads",
                "q-lora-rank", "kv-lora-rank", "qk-nope", "qk-rope", "v-head", "ff-dense", "ff-expert", "experts",
                "experts-used", "shared-experts", "dense-layers", "context-length", "yarn-original-context");
        public static final Set<String> DECIMAL_OPTIONS = Set.of("expert-weights-scale", "yarn-factor",
                "yarn-log-multiplier", "rope-theta", "logit-scale");
        public static final Set<String> WORD_OPTIONS = Set.of("type", "gating", "pre-tokenizer");
        public static final Set<String> SWITCH_OPTIONS = Set.of("router-bias", "expert-weights-norm");

        public int experts() {
            String value = options.get("experts");
            return value == null ? DEFAULT_EXPERTS : Integer.parseInt(value);
        }

        @Override public String displayName() { return "synthetic"; }
    }

    /** Model id the runtime reports when the spec does not name one. */
    String displayName();

    Pattern HF_REPO = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    Pattern REVISION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]*");
    Pattern PVC_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    /** @throws IllegalArgumentException saying what is wrong and what a valid URI looks like */
    static ModelUri parse(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("is required (hf://org/repo, pvc://claim/path, file:///path or synthetic://)");
        }
        int sep = uri.indexOf("://");
        String scheme = sep < 0 ? "" : uri.substring(0, sep);
        String rest = sep < 0 ? uri : uri.substring(sep + 3);
        return switch (scheme) {
            case "hf" -> parseHuggingFace(uri, rest);
            case "pvc" -> parsePvc(uri, rest);
            case "file" -> parseFile(uri, rest);
            case "synthetic" -> parseSynthetic(uri, rest);
            default -> throw new IllegalArgumentException("'" + uri + "' has an unknown scheme; use hf://org/repo[@revision], "
                    + "pvc://claim/path, file:///path or synthetic://?experts=N");
        };
    }

    private static ModelUri parseHuggingFace(String uri, String rest) {
        int at = rest.indexOf('@');
        String repo = at < 0 ? rest : rest.substring(0, at);
        String revision = at < 0 ? null : rest.substring(at + 1);
        if (!HF_REPO.matcher(repo).matches()) {
            throw new IllegalArgumentException("'" + uri + "' must name a repository as hf://org/repo[@revision]");
        }
        if (revision != null && !REVISION.matcher(revision).matches()) {
            throw new IllegalArgumentException("'" + uri + "' has an empty or invalid revision after '@'");
        }
        return new HuggingFace(repo, revision);
    }

    private static ModelUri parsePvc(String uri, String rest) {
        int slash = rest.indexOf('/');
        String claim = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash + 1);
        if (!PVC_NAME.matcher(claim).matches() || claim.length() > 253) {
            throw new IllegalArgumentException("'" + uri + "' must start with a claim name: pvc://claim/path/to/model.gguf");
        }
        if (path.isEmpty() || path.endsWith("/") || path.contains("..")) {
            throw new IllegalArgumentException("'" + uri + "' must name a file inside the claim: pvc://" + claim + "/path/to/model.gguf");
        }
        return new Pvc(claim, path);
    }

    private static ModelUri parseFile(String uri, String rest) {
        if (!rest.startsWith("/") || rest.length() < 2 || rest.endsWith("/") || rest.contains("..")) {
            throw new IllegalArgumentException("'" + uri + "' must be an absolute file path: file:///models/model.gguf");
        }
        return new File(rest);
    }

    private static ModelUri parseSynthetic(String uri, String rest) {
        String query = rest.startsWith("?") ? rest.substring(1) : rest;
        if (!rest.isEmpty() && !rest.startsWith("?")) {
            throw new IllegalArgumentException("'" + uri + "' takes options as a query: synthetic://?experts=8&layers=2");
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (String pair : query.isEmpty() ? new String[0] : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            checkSyntheticOption(uri, key, value);
            options.put(key, value);
        }
        return new Synthetic(Map.copyOf(options));
    }

    private static void checkSyntheticOption(String uri, String key, String value) {
        String problem = null;
        if (Synthetic.INTEGER_OPTIONS.contains(key)) {
            try {
                if (Long.parseLong(value) < 0) problem = "must not be negative";
            } catch (NumberFormatException e) {
                problem = "must be a whole number";
            }
        } else if (Synthetic.DECIMAL_OPTIONS.contains(key)) {
            try {
                Double.parseDouble(value);
            } catch (NumberFormatException e) {
                problem = "must be a number";
            }
        } else if (Synthetic.WORD_OPTIONS.contains(key)) {
            if (!value.matches("[A-Za-z0-9_-]+")) problem = "must be a word";
        } else if (Synthetic.SWITCH_OPTIONS.contains(key)) {
            if (!value.isEmpty() && !value.equals("true")) problem = "is a switch (write it alone or =true)";
        } else {
            throw new IllegalArgumentException("'" + uri + "' has an unknown option '" + key + "'; known: experts, "
                    + "experts-used, layers, hidden, ... (the options of `moe synth`)");
        }
        if (problem != null) {
            throw new IllegalArgumentException("'" + uri + "': option " + key + "='" + value + "' " + problem);
        }
    }

    private static String baseName(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        return name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }
}
