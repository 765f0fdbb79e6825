package io.moeoperator.cli;

/** Progress and summaries for people go to stderr, so stdout carries only results. */
final class Log {
    private Log() {}

    static void info(String format, Object... args) {
        System.err.println(String.format(format, args));
    }
}
