package io.moeoperator.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.resources.DeploymentResources;
import io.moeoperator.operator.resources.GroupResources;
import io.moeoperator.operator.resources.TemplateInputs;
import io.moeoperator.operator.resources.RuntimeCommand;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract between operator and runtime, without a kubelet: the exact command lines the
 * operator puts in a group's pods (init container, then one `moe serve` per rank, the Secret's
 * bytes as the mounted file) run as real processes on loopback. Only what Kubernetes would provide
 * is substituted: paths under /var/cache/moe and the secret mount, the pod name in $(MOE_POD_NAME),
 * and each rank's DNS name (all ranks here share 127.0.0.1, so each gets its own port).
 */
class PodCommandIT {
    static final Path DIR = Path.of("target", "pod-command-it").toAbsolutePath();

    @Test
    void aGroupOfTwoRanksServesFromTheOperatorsCommandLines() throws Exception {
        Files.createDirectories(DIR);
        MoEDeployment moe = Serialization.unmarshal(Files.readString(ClusterFixture.ROOT.resolve("deploy/examples/tiny-cpu.yaml")),
                MoEDeployment.class);
        moe.getMetadata().setNamespace("default");
        moe.getMetadata().setUid("uid-tiny-cpu");
        OperatorConfig config = OperatorConfig.defaults();
        ResolvedSpec spec = ResolvedSpec.resolve(moe.getSpec(), config);
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        TemplateInputs inputs = new TemplateInputs(true, DeploymentResources.expertKeyDigest(key));
        StatefulSet sts = GroupResources.statefulSet(moe, spec, config, 0, GroupResources.revision(moe, spec, config, inputs), inputs);
        Path secret = DIR.resolve("secret");
        Files.write(secret, Base64.getDecoder().decode(DeploymentResources.expertSecret(moe, key).getData().get("secret")));

        Container init = sts.getSpec().getTemplate().getSpec().getInitContainers().getFirst();
        assertEquals(0, new ProcessBuilder(command(localize(init.getArgs(), null, List.of())))
                .redirectErrorStream(true).redirectOutput(DIR.resolve("synth.log").toFile()).start().waitFor(), "moe synth");

        Container runtime = sts.getSpec().getTemplate().getSpec().getContainers().getFirst();
        int ranks = sts.getSpec().getReplicas();
        List<Integer> httpPorts = new ArrayList<>(), peerPorts = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            httpPorts.add(RuntimeServer.freePort());
            peerPorts.add(RuntimeServer.freePort());
        }
        List<RuntimeServer> pods = new ArrayList<>();
        try {
            for (int r = 0; r < ranks; r++) {
                List<String> args = localize(runtime.getArgs(), sts.getMetadata().getName() + "-" + r, peerPorts);
                replace(args, "--port", String.valueOf(httpPorts.get(r)));
                replace(args, "--host", "127.0.0.1");
                replace(args, "--ep-port", String.valueOf(peerPorts.get(r)));
                args.addAll(List.of("--threads", "1"));
                pods.add(new RuntimeServer(args, httpPorts.get(r), DIR.resolve("rank-" + r + ".log")));
            }
            // Both ranks start before either is awaited: a rank is ready only once its peer is.
            for (RuntimeServer pod : pods) pod.awaitReady(Duration.ofSeconds(120));
            HttpClient http = HttpClient.newHttpClient();
            String first = null;
            for (int r = 0; r < ranks; r++) {
                HttpResponse<String> reply = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts.get(r) + "/v1/completions"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"synthetic\",\"prompt\":\"The experts of a mixture\",\"max_tokens\":16,\"temperature\":0}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, reply.statusCode(), reply.body());
                String text = reply.body().replaceAll("(?s).*\"text\":\"(.*?)\".*", "$1");
                if (first == null) first = text;
                assertEquals(first, text, "every rank answers, with the same greedy text");
            }
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPorts.get(0) + "/q/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("moe_requests_waiting{moe_deployment=\"tiny-cpu\",moe_group=\"0\",moe_namespace=\"default\"}"),
                    "the labels the autoscaler's queries select");
        } finally {
            for (RuntimeServer pod : pods) pod.close();
        }
    }

    /** The pod's arguments with Kubernetes' part done: paths, $(MOE_POD_NAME), peers on loopback. */
    private static List<String> localize(List<String> podArgs, String podName, List<Integer> peerPorts) {
        List<String> args = new ArrayList<>();
        for (String arg : podArgs) {
            String a = arg.replace(RuntimeCommand.CACHE_DIR, DIR.toString())
                    .replace(RuntimeCommand.EP_SECRET_DIR + "/" + RuntimeCommand.EP_SECRET_KEY, DIR.resolve("secret").toString());
            if (podName != null) a = a.replace("$(" + RuntimeCommand.POD_NAME_ENV + ")", podName);
            args.add(a);
        }
        int peers = args.indexOf("--ep-peers");
        if (peers >= 0) {
            List<String> local = new ArrayList<>();
            for (int r = 0; r < peerPorts.size(); r++) local.add("127.0.0.1:" + peerPorts.get(r));
            args.set(peers + 1, String.join(",", local));
        }
        return args;
    }

    private static void replace(List<String> args, String flag, String value) {
        args.set(args.indexOf(flag) + 1, value);
    }

    private static List<String> command(List<String> args) {
        List<String> command = new ArrayList<>(List.of(ClusterFixture.ROOT.resolve("bin/moe").toString()));
        command.addAll(args);
        return command;
    }


}
