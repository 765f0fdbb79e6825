package io.moeoperator.operator.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.SSABasedGenericKubernetesResourceMatcher;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/**
 * Whether a live object still holds what the operator applied: JOSDK's server-side-apply matcher
 * (it compares only the fields our field manager owns, so server defaults and other controllers'
 * fields never count as a difference, and a field someone else took over, such as a StatefulSet's
 * replicas after {@code kubectl scale}, does). Empty maps and lists are dropped from the desired
 * side first: the API server does not keep them, so they would differ for ever.
 */
final class DriftMatcher extends SSABasedGenericKubernetesResourceMatcher<HasMetadata> {

    @Override
    protected boolean matches(Map<String, Object> actualMap, Map<String, Object> desiredMap, HasMetadata actual,
                              HasMetadata desired, Context<?> context) {
        dropEmpty(desiredMap);
        dropEmpty(actualMap);
        return actualMap.equals(desiredMap);
    }

    @SuppressWarnings("unchecked")
    private static boolean dropEmpty(Object value) {
        if (value instanceof Map<?, ?> map) {
            for (Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator(); it.hasNext(); ) {
                if (dropEmpty(it.next().getValue())) it.remove();
            }
            return map.isEmpty();
        }
        if (value instanceof Collection<?> list) {
            for (Object element : list) dropEmpty(element);
            return list.isEmpty();
        }
        return value == null;
    }
}
