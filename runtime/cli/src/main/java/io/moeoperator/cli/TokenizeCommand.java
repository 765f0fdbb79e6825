package io.moeoperator.cli;

import io.moeoperator.engine.exec.LoadedModel;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "tokenize", description = "Print the token ids of a text (without BOS) as a JSON array.")
final class TokenizeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--text", required = true, paramLabel = "TEXT")
    String text;

    @Option(names = "--no-special", description = "tokenize special-token text as plain text")
    boolean noSpecial;

    @Override
    public Integer call() {
        // Only the vocabulary is needed: skip loading weights.
        int[] ids = LoadedModel.readTokenizer(modelOptions.model, modelOptions.format()).encode(text, false, !noSpecial);
        System.out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]")));
        return 0;
    }
}
