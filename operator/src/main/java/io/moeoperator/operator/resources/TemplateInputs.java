package io.moeoperator.operator.resources;

/**
 * What the cluster contributes to a pod template, observed by the reconciler and passed in, so the
 * template stays a pure function of its inputs.
 *
 * @param scrapeAnnotations  add prometheus.io/* annotations (the cluster has no ServiceMonitor CRD)
 * @param expertSecretDigest digest of the ranks' shared secret (expert parallelism), or null
 */
public record TemplateInputs(boolean scrapeAnnotations, String expertSecretDigest) {}
