# The serving runtime for CPUs, ghcr.io/moe-operator/moe-runtime:<version>: the image the operator
# gives MoEDeployments with device: cpu. Its entrypoint is `moe` (serve / synth / ...).
# Build: bin/build-images runtime (from the repository root, after the jars are built).
ARG JRE_IMAGE=eclipse-temurin:25-jre
FROM ${JRE_IMAGE}
COPY runtime/server/target/quarkus-app/ /opt/moe/server/
COPY runtime/cli/target/moe.jar /opt/moe/cli/moe.jar
COPY deploy/images/moe /opt/moe/bin/moe
COPY deploy/images/moe-memory.sh /opt/moe/bin/moe-memory.sh
ENV PATH=/opt/moe/bin:$PATH
# The operator's pods run as uid/gid 1000 on a read-only root filesystem with writable /tmp and
# /var/cache/moe; nothing here writes elsewhere. Numeric, so runAsNonRoot can check it.
USER 1000:1000
WORKDIR /tmp
ENTRYPOINT ["/opt/moe/bin/moe"]
CMD ["--help"]
