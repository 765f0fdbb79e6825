package io.moeoperator.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.moeoperator.operator.api.MoEDeployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed CRD (crds/) must be exactly what the Java API generates, and the Helm chart must
 * carry the same file. After changing the API run {@code bin/update-manifests} (these tests with
 * -Dmoe.update-manifests=true; bin/update-crds is the same) and commit the result.
 */
public class CrdDriftTest {
    static final String FILE = "moedeployments.serving.moe-operator.io-v1.yml";

    /** The repository's crds/ directory (tests run in operator/). */
    static Path committedCrd() {
        return Path.of("..", "crds", FILE).toAbsolutePath().normalize();
    }

    /** The chart's copy (Helm installs crds/ before the templates and never upgrades it). */
    static Path chartCrd() {
        return Path.of("..", "helm", "moe-operator", "crds", FILE).toAbsolutePath().normalize();
    }

    /** Whether the build was asked to rewrite generated files instead of checking them. */
    public static boolean updating() {
        return Boolean.getBoolean("moe.update-manifests") || Boolean.getBoolean("moe.update-crds");
    }

    /** Writes the generated CRD to crds/ and the chart (what bin/update-manifests does first). */
    public static void writeGenerated(Path scratch) throws IOException {
        Files.createDirectories(scratch);
        String generated = generate(scratch);
        for (Path target : List.of(committedCrd(), chartCrd())) {
            Files.createDirectories(target.getParent());
            Files.writeString(target, generated);
        }
    }

    static String generate(Path dir) throws IOException {
        new CRDGenerator().customResourceClasses(MoEDeployment.class).forCRDVersions("v1").inOutputDir(dir.toFile()).generate();
        Path generated = dir.resolve(FILE);
        assertTrue(Files.exists(generated), "the generator wrote " + generated);
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(generated), CustomResourceDefinition.class);
        // The generator sorts printer columns by path; kubectl shows them in the order declared on the class.
        List<String> order = Arrays.stream(MoEDeployment.class.getAnnotationsByType(AdditionalPrinterColumn.class))
                .map(AdditionalPrinterColumn::name).toList();
        for (var version : crd.getSpec().getVersions()) {
            version.getAdditionalPrinterColumns().sort(Comparator.comparingInt(c -> order.indexOf(c.getName())));
        }
        return "# Generated from operator/src/main/java/io/moeoperator/operator/api by bin/update-crds; do not edit.\n"
                + Serialization.asYaml(crd);
    }

    @Test
    void committedCrdIsTheGeneratedOne(@TempDir Path dir) throws IOException {
        if (updating()) writeGenerated(dir.resolve("update"));
        String generated = generate(dir);
        Path committed = committedCrd();
        assertTrue(Files.exists(committed), committed + " is missing; run bin/update-manifests");
        assertEquals(generated, Files.readString(committed),
                committed + " differs from what the Java API generates; run bin/update-manifests and commit it");
    }

    @Test
    void chartCarriesTheCommittedCrd(@TempDir Path dir) throws IOException {
        if (updating()) writeGenerated(dir);
        Path chart = chartCrd();
        assertTrue(Files.exists(chart), chart + " is missing; run bin/update-manifests");
        assertEquals(Files.readString(committedCrd()), Files.readString(chart),
                chart + " differs from crds/" + FILE + "; run bin/update-manifests (never edit either by hand)");
    }
}
