package io.moeoperator.operator.resources;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.moeoperator.operator.api.MoEDeployment;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/** Metadata of owned objects: name, namespace, labels, the controller owner reference, content hash. */
public final class Owned {
    private Owned() {}

    public static ObjectMeta metadata(MoEDeployment moe, String name, Map<String, String> labels) {
        return new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(moe.getMetadata().getNamespace())
                .withLabels(new java.util.LinkedHashMap<>(labels))
                .withAnnotations(new java.util.LinkedHashMap<>())
                .withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion(moe.getApiVersion())
                        .withKind(moe.getKind())
                        .withName(moe.getMetadata().getName())
                        .withUid(moe.getMetadata().getUid())
                        .withController(true)
                        .withBlockOwnerDeletion(true)
                        .build())
                .build();
    }

    /** Stamps the desired object with the hash of its content, then returns it. */
    public static <T extends HasMetadata> T withDesiredHash(T desired) {
        desired.getMetadata().getAnnotations().remove(Labels.DESIRED_HASH);
        desired.getMetadata().getAnnotations().put(Labels.DESIRED_HASH, hash(desired));
        return desired;
    }

    /** Short stable hash of an object's JSON (builders produce fields and maps in a fixed order). */
    public static String hash(Object object) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(Serialization.asJson(object).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
