package io.moeoperator.operator.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.operator.CrdDriftTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/install.yaml must be exactly the chart rendered with default values (plus namespace and
 * CRD). After changing the chart or the API run {@code bin/update-manifests} and commit the result.
 */
class InstallManifestTest {

    @Test
    void committedInstallYamlIsTheRenderedChart(@TempDir Path dir) throws IOException {
        if (CrdDriftTest.updating()) {
            CrdDriftTest.writeGenerated(dir); // the chart's CRD first: install.yaml includes it
            Files.writeString(HelmChart.INSTALL_YAML, HelmChart.installYaml());
        }
        assertTrue(Files.exists(HelmChart.INSTALL_YAML), HelmChart.INSTALL_YAML + " is missing; run bin/update-manifests");
        assertEquals(HelmChart.installYaml(), Files.readString(HelmChart.INSTALL_YAML),
                HelmChart.INSTALL_YAML + " differs from the chart rendered with default values; run bin/update-manifests and commit it");
    }
}
