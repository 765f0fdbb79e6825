package io.moeoperator.operator.chart;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.Release;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code helm install} and {@code helm uninstall} of helm/moe-operator through helm-java (the Helm
 * library the chart tests use, so no helm binary is needed): how the end-to-end suite installs the
 * operator on the local cluster (tests/e2e/helm-java.sh runs it).
 *
 * <pre>
 * install   CHART KUBECONFIG NAMESPACE [VALUES]   the release "moe-operator" (values over the chart's); waits until ready
 * uninstall CHART KUBECONFIG NAMESPACE   the release (Helm leaves the CRD in place by design)
 * </pre>
 */
public final class HelmCommand {
    private HelmCommand() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 4 || args.length > 5 || !(args[0].equals("install") || args[0].equals("uninstall"))) {
            System.err.println("usage: HelmCommand install|uninstall CHART KUBECONFIG NAMESPACE [VALUES.yaml]");
            System.exit(2);
        }
        Path chart = Path.of(args[1]);
        Path kubeconfig = Path.of(args[2]);
        String namespace = args[3];
        Path values = args.length == 5 ? Path.of(args[4]) : null;
        for (Path p : values == null ? new Path[] {chart.resolve("Chart.yaml"), kubeconfig}
                : new Path[] {chart.resolve("Chart.yaml"), kubeconfig, values}) {
            if (!Files.isRegularFile(p)) {
                System.err.println("error: " + p + " does not exist");
                System.exit(2);
            }
        }
        if (args[0].equals("install")) {
            InstallCommand install = new Helm(chart).install().withName(HelmChart.RELEASE).withNamespace(namespace)
                    .createNamespace().withKubeConfig(kubeconfig).waitReady().withTimeout(300);
            if (values != null) {
                install.withValuesFile(values);
            }
            Release release = install.call();
            System.out.println("installed " + release.getName() + " " + release.getChart() + " in " + namespace + ": "
                    + release.getStatus());
        } else {
            System.out.println(Helm.uninstall(HelmChart.RELEASE).withNamespace(namespace).withKubeConfig(kubeconfig).call());
        }
    }
}
