package io.moeoperator.operator.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What can be checked of the container images without a container engine: each Dockerfile copies
 * files the build really produces (and .dockerignore lets through), ends as a numeric non-root
 * user, uses a Java 25 runtime; the runtime image's `moe` entrypoint dispatches as the operator's pods
 * expect; bin/build-images refuses clearly where no engine runs. Building the images needs Docker
 * or Podman (bin/build-images; tests/e2e/kind.sh).
 */
class ContainerImagesTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path IMAGES = ROOT.resolve("deploy/images");
    static final List<String> DOCKERFILES = List.of("runtime.Dockerfile", "runtime-cuda.Dockerfile", "operator.Dockerfile");

    record Instruction(String keyword, String args) {}

    static List<Instruction> instructions(String dockerfile) throws IOException {
        List<Instruction> out = new ArrayList<>();
        for (String line : Files.readAllLines(IMAGES.resolve(dockerfile))) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            int space = l.indexOf(' ');
            out.add(new Instruction(l.substring(0, space).toUpperCase(), l.substring(space + 1).strip()));
        }
        return out;
    }

    /** The instructions of the last stage (the image that ships). */
    static List<Instruction> finalStage(List<Instruction> all) {
        int from = 0;
        for (int i = 0; i < all.size(); i++) if (all.get(i).keyword().equals("FROM")) from = i;
        return all.subList(from, all.size());
    }

    @Test
    void everyImageRunsAsANumericNonRootUser() throws IOException {
        for (String dockerfile : DOCKERFILES) {
            List<Instruction> users = finalStage(instructions(dockerfile)).stream().filter(i -> i.keyword().equals("USER")).toList();
            assertFalse(users.isEmpty(), dockerfile + " sets no USER: it would run as root");
            String user = users.getLast().args();
            assertTrue(user.matches("\\d+(:\\d+)?"), dockerfile + ": USER " + user + " must be numeric for runAsNonRoot");
            assertNotEquals("0", user.split(":")[0], dockerfile + " runs as root");
            assertEquals("1000:1000", user, dockerfile + ": the operator's pods and the chart run as uid/gid 1000");
        }
    }

    @Test
    void baseImagesAreJava25AndCuda13() throws IOException {
        for (String dockerfile : DOCKERFILES) {
            String text = Files.readString(IMAGES.resolve(dockerfile));
            assertTrue(text.contains("ARG JRE_IMAGE=eclipse-temurin:25-jre"), dockerfile + ": the Java 25 runtime the project builds for");
        }
        String cuda = Files.readString(IMAGES.resolve("runtime-cuda.Dockerfile"));
        assertTrue(cuda.matches("(?s).*ARG CUDA_IMAGE=nvidia/cuda:13\\.\\d+\\.\\d+-runtime-ubuntu24\\.04.*"), "CUDA 13 runtime base");
        assertTrue(cuda.contains("COPY --from=jre /opt/java/openjdk /opt/java/openjdk"), "a JRE copied into the CUDA base");
    }

    @Test
    void copiedFilesAreBuildOutputsThatTheContextLetsThrough() throws IOException {
        List<String> allowed = Files.readAllLines(ROOT.resolve(".dockerignore")).stream()
                .filter(l -> l.startsWith("!")).map(l -> l.substring(1)).toList();
        for (String dockerfile : DOCKERFILES) {
            for (Instruction copy : finalStage(instructions(dockerfile))) {
                if (!copy.keyword().equals("COPY") || copy.args().startsWith("--from")) continue;
                String source = copy.args().split("\\s+")[0];
                assertTrue(allowed.contains(source), dockerfile + ": " + source + " is excluded by .dockerignore " + allowed);
                int target = source.indexOf("/target/");
                if (target < 0) {
                    assertTrue(Files.exists(ROOT.resolve(source)), dockerfile + ": " + source + " is not in the repository");
                    continue;
                }
                // A build output: the module's pom must produce exactly this path.
                String module = source.substring(0, target);
                String file = source.substring(target + "/target/".length());
                String pom = Files.readString(ROOT.resolve(module).resolve("pom.xml"));
                boolean produced = file.equals("quarkus-app/")
                        ? pom.contains("<artifactId>quarkus-maven-plugin</artifactId>") // fast-jar, Quarkus' default package
                        : pom.contains("${project.build.directory}/" + file);
                assertTrue(produced, dockerfile + ": " + module + "/pom.xml does not build " + file);
            }
        }
        String serverConfig = Files.readString(ROOT.resolve("runtime/server/src/main/resources/application.properties"));
        assertFalse(serverConfig.contains("quarkus.package.jar.type"), "the runtime image expects Quarkus' fast-jar layout");
    }

    @Test
    void entrypointRunsTheServerForServeAndTheCliForEverythingElse(@TempDir Path dir) throws Exception {
        // A stand-in `java` that prints its arguments, first on PATH.
        Path java = dir.resolve("java");
        Files.writeString(java, "#!/bin/sh\necho \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        String vector = "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dorg.bytedeco.javacpp.cachedir=/tmp/javacpp";
        // The operator's pods set MOE_MEMORY_LIMIT (limits.memory, in bytes): the server's heap follows it.
        assertEquals(vector + " -Xmx256m -jar /opt/moe/server/quarkus-run.jar --model /var/cache/moe/synthetic.gguf --port 8000",
                entrypoint(dir, "serve", "--model", "/var/cache/moe/synthetic.gguf", "--port", "8000"));
        assertEquals(vector + " -XX:+UseParallelGC -jar /opt/moe/cli/moe.jar synth --out /var/cache/moe/synthetic.gguf --experts 8",
                entrypoint(dir, "synth", "--out", "/var/cache/moe/synthetic.gguf", "--experts", "8"));
        // The paths it runs are where the runtime Dockerfiles put the jars.
        for (String dockerfile : List.of("runtime.Dockerfile", "runtime-cuda.Dockerfile")) {
            String text = Files.readString(IMAGES.resolve(dockerfile));
            assertTrue(text.contains("COPY runtime/server/target/quarkus-app/ /opt/moe/server/"), dockerfile);
            assertTrue(text.contains("COPY runtime/cli/target/moe.jar /opt/moe/cli/moe.jar"), dockerfile);
            assertTrue(text.contains("ENTRYPOINT [\"/opt/moe/bin/moe\"]"), dockerfile);
        }
    }

    /** The operator checks pod sizes with the heap the entrypoint gives the server: the same numbers. */
    @Test
    void theOperatorsHeapIsTheEntrypointsHeap() throws Exception {
        for (long memory : List.of(512L << 20, 1L << 30, 1535L << 20, 3L << 30, 7L << 30, 48L << 30, 1L << 40)) {
            ProcessBuilder pb = new ProcessBuilder("sh", "-c", ". " + IMAGES.resolve("moe-memory.sh") + " && moe_heap_flag /nonexistent")
                    .redirectErrorStream(true);
            pb.environment().remove("MOE_JAVA_OPTS");
            pb.environment().put("MOE_MEMORY_LIMIT", String.valueOf(memory));
            Process p = pb.start();
            String flag = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals("-Xmx" + (io.moeoperator.operator.spec.PodMemory.heap(memory) >> 20) + "m", flag, memory + " bytes");
        }
    }

    private static String entrypoint(Path fakeJavaDir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(IMAGES.resolve("moe").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PATH", fakeJavaDir + ":/usr/bin:/bin");
        pb.environment().remove("MOE_JAVA_OPTS");
        pb.environment().put("MOE_MEMORY_LIMIT", String.valueOf(1L << 30));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void buildImagesSaysWhatIsMissingWithoutAContainerEngine() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("bin/build-images").toString(), "--no-build").redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("CONTAINER_ENGINE", "no-such-engine");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("no container engine found (no-such-engine)"), out);
    }
}
