# The serving runtime for NVIDIA GPUs, ghcr.io/moe-operator/moe-runtime:<version>-cuda: the image the
# operator gives MoEDeployments with device: cuda. The CUDA 13 runtime libraries come from NVIDIA's
# base image (the engine's CUDA kernels load them at run time, only when a GPU is asked for); the
# Java 25 runtime is Temurin's, copied in. Otherwise the same as runtime.Dockerfile.
# Build: bin/build-images runtime-cuda (from the repository root, after the jars are built).
ARG JRE_IMAGE=eclipse-temurin:25-jre
ARG CUDA_IMAGE=nvidia/cuda:13.0.0-runtime-ubuntu24.04
FROM ${JRE_IMAGE} AS jre

FROM ${CUDA_IMAGE}
ENV JAVA_HOME=/opt/java/openjdk
COPY --from=jre /opt/java/openjdk /opt/java/openjdk
COPY runtime/server/target/quarkus-app/ /opt/moe/server/
COPY runtime/cli/target/moe.jar /opt/moe/cli/moe.jar
COPY deploy/images/moe /opt/moe/bin/moe
COPY deploy/images/moe-memory.sh /opt/moe/bin/moe-memory.sh
ENV PATH=/opt/moe/bin:/opt/java/openjdk/bin:$PATH
# uid/gid 1000 with a read-only root filesystem, as in runtime.Dockerfile.
USER 1000:1000
WORKDIR /tmp
ENTRYPOINT ["/opt/moe/bin/moe"]
CMD ["--help"]
