package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** A {@code bin/moe serve} process of a test, its output in its own log file. */
final class ServeProcess implements AutoCloseable {
    static final Path LOGS = Path.of("target", "ep-it").toAbsolutePath();
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    final String name;
    final int port;
    final Path log;
    private final Process process;

    private ServeProcess(String name, int port, Path log, Process process) {
        this.name = name;
        this.port = port;
        this.log = log;
        this.process = process;
    }

    /** Starts {@code bin/moe serve --host 127.0.0.1 --port <free> --threads 1 <args>}. */
    static ServeProcess start(String name, String... args) throws IOException {
        return start(name, java.util.Map.of(), args);
    }

    /** As {@link #start(String, String...)}, with extra environment variables (e.g. HF_ENDPOINT). */
    static ServeProcess start(String name, java.util.Map<String, String> env, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("--kv-cache-memory", "32M"));
        all.addAll(Arrays.asList(args));
        return startSizedByMemory(name, env, all.toArray(String[]::new));
    }

    /** As {@link #start(String, java.util.Map, String...)} without a fixed KV cache: the memory budget sizes it. */
    static ServeProcess startSizedByMemory(String name, java.util.Map<String, String> env, String... args) throws IOException {
        Files.createDirectories(LOGS);
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(ServeCommandIT.ROOT.resolve("bin/moe").toString(), "serve",
                "--host", "127.0.0.1", "--port", Integer.toString(port), "--threads", "1"));
        cmd.addAll(Arrays.asList(args));
        Path log = LOGS.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        return new ServeProcess(name, port, log, p);
    }

    /**
     * A port nobody listens on now, never one this JVM handed out before: a test picks a group's
     * peer ports first and each process's HTTP port later, and the kernel readily offers a port
     * again once its probe socket closes, before the process it was meant for has bound it.
     */
    static int freePort() throws IOException {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
    }

    Http http() {
        return new Http(URI.create("http://127.0.0.1:" + port + "/"), null);
    }

    boolean isReady() {
        try {
            return http().get("/q/health/ready").status() == 200;
        } catch (AssertionError connectionRefused) {
            return false;
        }
    }

    /** The readiness reply, ready or not, once the HTTP server answers (a rank's transport starts before it). */
    Http.Reply readiness(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                return http().get("/q/health/ready");
            } catch (AssertionError notListeningYet) {
                assertTrue(process.isAlive(), name + " exited: " + log());
                assertTrue(System.nanoTime() < deadline, name + " did not answer within " + limit + ": " + log());
                Thread.sleep(200);
            }
        }
    }

    void awaitReady(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!isReady()) {
            assertTrue(process.isAlive(), name + " exited: " + log());
            assertTrue(System.nanoTime() < deadline, name + " not ready within " + limit + ": " + log());
            Thread.sleep(200);
        }
    }

    String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The server JVM's process id (bin/moe execs java, so it is the started process's own). */
    long pid() {
        return process.pid();
    }

    /** Waits for the process to exit on its own; returns its exit code. */
    int awaitExit(Duration limit) throws InterruptedException {
        assertTrue(process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS), name + " did not exit: " + log());
        Thread.sleep(200); // bin/moe filters stderr through a pipe that may finish just after the JVM
        return process.exitValue();
    }

    /** Sends a signal ({@code STOP}, {@code CONT}) to the server's JVM (bin/moe execs it: same pid). */
    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name + " " + process.pid());
    }

    /** SIGKILL: the process dies at once, as when its pod or node is lost. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
