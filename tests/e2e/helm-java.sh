#!/usr/bin/env bash
# helm install / helm uninstall of helm/moe-operator through helm-java (the Helm library the chart
# tests use; no helm binary), as release moe-operator: how local-cluster.sh installs the operator.
# Needs the operator module built with its test classes (./mvnw -DskipTests package does).
# Usage: tests/e2e/helm-java.sh install|uninstall KUBECONFIG NAMESPACE [VALUES.yaml]
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
values=${4:+$(readlink -f "$4")} # before the cd: a path relative to where it was given
cd "$root"
classpath=operator/target/test-classpath.txt
if [[ ! -s $classpath || operator/pom.xml -nt $classpath ]]; then
  JAVA_HOME=$(bin/java-home) ./mvnw -B -q -pl operator dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$root/$classpath" >&2
fi
exec "$(bin/java-home)/bin/java" --enable-native-access=ALL-UNNAMED \
  -cp "operator/target/test-classes:operator/target/classes:$(cat "$classpath")" \
  io.moeoperator.operator.chart.HelmCommand "$1" "$root/helm/moe-operator" "$2" "$3" ${values:+"$values"}
