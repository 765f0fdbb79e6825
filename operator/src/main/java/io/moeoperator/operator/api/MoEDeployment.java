package io.moeoperator.operator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One Mixture-of-Experts model served by {@code spec.replicas} serving groups; each group is one copy
 * of the model whose routed experts are sharded over {@code spec.expertParallelism} pods.
 *
 * <p>The CRD in {@code crds/} is generated from this class (CrdDriftTest keeps them equal).
 */
@Group(MoEDeployment.GROUP)
@Version(MoEDeployment.VERSION)
@Kind("MoEDeployment")
@Plural("moedeployments")
@Singular("moedeployment")
@ShortNames("moe")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.ready", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Replicas", jsonPath = ".status.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "EP", jsonPath = ".spec.expertParallelism", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Experts/Pod", jsonPath = ".status.expertsPerPod", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Model", jsonPath = ".spec.model.uri", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class MoEDeployment extends CustomResource<MoEDeploymentSpec, MoEDeploymentStatus> implements Namespaced {
    public static final String GROUP = "serving.moe-operator.io";
    public static final String VERSION = "v1alpha1";

    @Override
    protected MoEDeploymentStatus initStatus() {
        return new MoEDeploymentStatus();
    }
}
