# The operator, ghcr.io/moe-operator/moe-operator:<version>: the shaded jar that bin/moe-operator runs.
# The Helm chart passes its flags as arguments and JVM options in JDK_JAVA_OPTIONS.
# Build: bin/build-images operator (from the repository root, after the jar is built).
ARG JRE_IMAGE=eclipse-temurin:25-jre
FROM ${JRE_IMAGE}
COPY operator/target/moe-operator.jar /opt/moe-operator/moe-operator.jar
# Non-root (the chart sets runAsUser 1000 and a read-only root filesystem with /tmp writable).
USER 1000:1000
WORKDIR /tmp
ENTRYPOINT ["java", "-jar", "/opt/moe-operator/moe-operator.jar"]
