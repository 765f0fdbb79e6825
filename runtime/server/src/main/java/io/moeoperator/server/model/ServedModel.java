package io.moeoperator.server.model;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.moeoperator.cuda.CudaDevice;
import io.moeoperator.cuda.CudaDevices;
import io.moeoperator.cuda.CudaUnavailableException;
import io.moeoperator.engine.ep.ExpertParallelism;
import io.moeoperator.engine.ep.ExpertTransport;
import io.moeoperator.engine.ep.PeerStatus;
import io.moeoperator.engine.ep.ShardPlan;
import io.moeoperator.engine.exec.Engine;
import io.moeoperator.engine.exec.EngineConfig;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.exec.ModelFormat;
import io.moeoperator.engine.gguf.ModelDigest;
import io.moeoperator.engine.kvcache.KvCacheManager;
import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.model.ModelFileException;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import io.moeoperator.server.chat.ChatTemplate;
import io.moeoperator.ep.GroupFingerprint;
import io.moeoperator.ep.NetworkExpertTransport;
import io.moeoperator.server.config.HuggingFaceConfig;
import io.moeoperator.server.config.ServerConfig;
import io.moeoperator.server.ep.ExpertGroupSettings;
import io.moeoperator.server.memory.ContainerMemory;
import io.moeoperator.server.memory.MemoryBudget;
import io.moeoperator.server.metrics.ExpertParallelMetrics;
import io.quarkus.runtime.configuration.ConfigurationException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The one model this server serves: loaded at start-up (a model that is missing or does not load
 * stops the server, and Quarkus prints the {@link ModelLoadException}'s message saying why), with
 * its engine, tokenizer and chat template.
 */
@ApplicationScoped
public class ServedModel {
    private static final Logger LOG = Logger.getLogger(ServedModel.class);

    private final ServerConfig config;
    private final HuggingFaceConfig huggingFace;
    private final ExpertParallelMetrics epMetrics;
    private volatile Loaded loaded;
    /** This rank's link to its expert-parallel peers; null when one process holds every expert. */
    private volatile NetworkExpertTransport transport;

    /** Everything that exists only once loading succeeded. */
    private record Loaded(String id, Engine engine, ChatTemplate chatTemplate, long createdEpochSeconds, int contextLength) {}

    ServedModel(ServerConfig config, HuggingFaceConfig huggingFace, ExpertParallelMetrics epMetrics) {
        this.config = config;
        this.huggingFace = huggingFace;
        this.epMetrics = epMetrics;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.device() == ServerConfig.Device.cuda) {
            requireCuda();
        }
        Optional<ModelFormat> format = config.modelFormat().map(ServedModel::format);
        boolean huggingFaceRepo = HuggingFaceModel.isHuggingFace(config.model());
        if (huggingFaceRepo && format.orElse(ModelFormat.GGUF) != ModelFormat.GGUF) {
            throw new ModelLoadException("--model-format safetensors with an hf:// repository is not served yet; download the"
                    + " repository and serve its directory with --model DIR (or use a GGUF repository with --model-file)");
        }
        Path path = huggingFaceRepo
                ? HuggingFaceModel.parse(config.model(), config.modelFile()).fetch(config.modelCache(), huggingFace.endpoint(), huggingFace.token())
                : Path.of(config.model()).toAbsolutePath();
        if (!Files.exists(path)) {
            throw new ModelLoadException("model " + path + " does not exist; pass --model PATH (or set MOE_MODEL) to a GGUF file"
                    + " or a Hugging Face model directory");
        }
        int threads = config.threads().orElse(Runtime.getRuntime().availableProcessors());
        ExpertGroupSettings ep = ExpertGroupSettings.from(config.ep());
        ExpertParallelism parallelism = ExpertParallelism.SINGLE;
        if (ep != null) {
            transport = new NetworkExpertTransport(ep.group(), epMetrics);
            parallelism = new ExpertParallelism(ep.group().rank(), ep.group().size(), ep.expertsSpec(), transport, ep.timeout());
        }
        LOG.infof("Loading model %s with %d threads%s", path, threads,
                ep == null ? "" : " as expert-parallel rank " + ep.group().rank() + " of " + ep.group().size());
        long t0 = System.nanoTime();
        LoadedModel model;
        try {
            model = LoadedModel.open(path, format.orElseGet(() -> ModelFormat.detect(path)), threads, parallelism);
        } catch (ModelFileException | IllegalArgumentException e) {
            closeTransport();
            if (e.getMessage().startsWith("--ep-experts")) {
                throw new ConfigurationException(e.getMessage(), Set.of("moe.ep.experts"));
            }
            throw cannotLoad(path, e);
        }
        if (transport != null) {
            GroupFingerprint fingerprint = fingerprint(path, model);
            try {
                transport.start(model.model()::computeExperts, fingerprint);
            } catch (IllegalStateException e) {
                model.close();
                closeTransport();
                throw new ConfigurationException("--ep-port: " + e.getMessage(), Set.of("moe.ep.port"));
            }
            epMetrics.register(transport);
            ShardPlan plan = model.model().shardPlan();
            LOG.infof("Expert-parallel rank %d of %d holds experts %s (%.1f MB of routed-expert weights); peers %s",
                    transport.rank(), transport.size(), plan.describe(transport.rank()),
                    model.model().routedExpertBytes() / 1e6, ep.group().peers());
        }
        Engine engine;
        MemoryBudget.Plan memory;
        try {
            EngineConfig engineConfig = config.engine().toEngineConfig();
            memory = planMemory(model, engineConfig, path);
            engine = Engine.start(model, engineConfig.withKvCacheBytes(memory.kvCacheBytes()));
        } catch (ConfigurationException e) {
            closeTransport();
            model.close();
            throw e;
        } catch (RuntimeException e) {
            closeTransport();
            model.close();
            throw new ModelLoadException("model " + path + ": the engine did not start: " + e.getMessage(), e);
        }
        try {
            ChatTemplate template = chatTemplate(model.chatTemplate(), engine.tokenizer());
            String id = config.servedModelName().orElse(defaultId(path));
            ModelConfig mc = engine.config();
            int context = memory.contextLength();
            loaded = new Loaded(id, engine, template, Instant.now().getEpochSecond(), context);
            LOG.infof("Serving %s as '%s': %d layers, %d experts (%d used), context %d; %s chat template; loaded in %d ms",
                    path.getFileName(), id, mc.numLayers(), mc.numExperts(), mc.numExpertsUsed(), context,
                    template.source(), (System.nanoTime() - t0) / 1_000_000);
        } catch (RuntimeException e) {
            closeTransport();
            engine.close();
            throw e instanceof ModelLoadException m ? m : new ModelLoadException(e.getMessage(), e);
        }
    }

    /**
     * What every rank of the group must serve identically (issue 12): peers whose model digest,
     * shard plan or version differ refuse each other, so a rollout cannot pair an old rank with a new.
     */
    private GroupFingerprint fingerprint(Path path, LoadedModel model) {
        long t0 = System.nanoTime();
        try {
            GroupFingerprint fingerprint = GroupFingerprint.of(model.digest(), model.model().shardPlan());
            LOG.infof("Model digest %s (metadata, tensor table and %d KiB samples of every tensor; %d ms)", fingerprint.model(),
                    ModelDigest.SAMPLE_BYTES / 1024, (System.nanoTime() - t0) / 1_000_000);
            return fingerprint;
        } catch (RuntimeException e) {
            model.close();
            closeTransport();
            throw cannotLoad(path, e);
        }
    }

    /**
     * Shares the container's memory out (docs/memory.md): the KV cache gets what the model, the heap
     * and the non-heap overhead leave, and the served context what the cache holds for one sequence.
     * Logs every term; refuses start-up when the flags ask for more than there is.
     */
    private MemoryBudget.Plan planMemory(LoadedModel model, EngineConfig engineConfig, Path path) {
        ModelConfig mc = model.model().config();
        OptionalInt context = config.contextLength();
        if (context.isPresent() && context.getAsInt() > mc.contextLength()) {
            throw new ModelLoadException("--context-length " + context.getAsInt() + " is longer than the model's context length "
                    + mc.contextLength() + " (" + path.getFileName() + ")");
        }
        ContainerMemory container = ContainerMemory.detect(config.memoryLimit(), ContainerMemory.CGROUP_ROOT, machineMemory());
        MemoryBudget budget = MemoryBudget.of(container, model.footprint(), maxHeapBytes(), config.memoryOverhead().asLongValue());
        OptionalLong kvCacheMemory = config.engine().kvCacheMemory()
                .map(size -> OptionalLong.of(size.asLongValue())).orElse(OptionalLong.empty());
        MemoryBudget.Plan plan = budget.plan(new MemoryBudget.Request(kvCacheMemory, context, mc.contextLength(),
                engineConfig.maxNumSeqs(), engineConfig.blockSize(), KvCacheManager.bytesPerBlock(mc, engineConfig.blockSize())));
        LOG.info(plan.describe());
        if (plan.contextCapped()) {
            LOG.info(plan.describeCap());
        }
        return plan;
    }

    /**
     * The heap's ceiling as the JVM took it from -Xmx (MaxHeapSize): what the heap may come to occupy.
     * Not {@code Runtime.maxMemory()}, which leaves out a survivor space under the serial collector
     * (the JVM's choice in a one-CPU container).
     */
    private static long maxHeapBytes() {
        try {
            HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return Long.parseLong(hotSpot.getVMOption("MaxHeapSize").getValue());
        } catch (RuntimeException notHotSpot) {
            return Runtime.getRuntime().maxMemory();
        }
    }

    /** Total memory as the JVM sees it: physical, or a container limit the JVM found itself. */
    private static long machineMemory() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }

    /**
     * Fails start-up with what is missing when there is no usable GPU; and, until the CUDA kernels
     * exist (issue 8), says so on a machine that has one rather than quietly computing on the CPU.
     */
    private static void requireCuda() {
        List<CudaDevice> devices;
        try {
            devices = CudaDevices.probe();
        } catch (CudaUnavailableException e) {
            throw new DeviceUnavailableException("--device cuda: " + e.getMessage());
        }
        throw new DeviceUnavailableException("--device cuda: found " + devices + ", but this build has no CUDA kernels yet; "
                + "serve with --device cpu");
    }

    void onStop(@Observes ShutdownEvent event) {
        Loaded l = loaded;
        loaded = null;
        closeTransport(); // first: peers' calls must not compute on weights being unmapped
        if (l != null) {
            LOG.info("Stopping the engine");
            l.engine().close();
        }
    }

    private void closeTransport() {
        ExpertTransport t = transport;
        if (t != null) {
            t.close();
        }
    }

    /** Every rank of this process's expert-parallel group, or empty when it holds every expert itself. */
    public List<PeerStatus> expertPeers() {
        ExpertTransport t = transport;
        return t == null ? List.of() : t.peers();
    }

    public boolean isLoaded() {
        return loaded != null;
    }

    /** Not loaded yet counts as alive (start-up has its own probe); afterwards the engine must run. */
    public boolean isEngineAlive() {
        Loaded l = loaded;
        return l == null || l.engine().isAlive();
    }

    /** The model id clients name in requests. */
    public String id() {
        return require().id();
    }

    public Engine engine() {
        return require().engine();
    }

    public BpeTokenizer tokenizer() {
        return require().engine().tokenizer();
    }

    /**
     * Longest prompt + completion a request may ask for: the model's, or less with --context-length,
     * and never more than the KV cache holds for one sequence, so a request within it always fits.
     */
    public int contextLength() {
        return require().contextLength();
    }

    public ChatTemplate chatTemplate() {
        return require().chatTemplate();
    }

    public long createdEpochSeconds() {
        return require().createdEpochSeconds();
    }

    private Loaded require() {
        Loaded l = loaded;
        if (l == null) {
            throw new IllegalStateException("the model is not loaded");
        }
        return l;
    }

    private ChatTemplate chatTemplate(Optional<String> modelTemplate, BpeTokenizer tokenizer) {
        Optional<Path> file = config.chatTemplate();
        if (file.isPresent()) {
            try {
                return ChatTemplate.of(Files.readString(file.get()), "file " + file.get(), tokenizer);
            } catch (IOException e) {
                throw new ModelLoadException("chat template file " + file.get() + " cannot be read: " + e.getMessage(), e);
            }
        }
        return modelTemplate.map(t -> ChatTemplate.of(t, "the model's", tokenizer))
                .orElseGet(() -> ChatTemplate.fallback(tokenizer));
    }

    private static ModelFormat format(String flag) {
        try {
            return ModelFormat.fromFlag(flag);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException(e.getMessage(), Set.of("moe.model-format"));
        }
    }

    private static String defaultId(Path path) {
        String name = path.getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - ".gguf".length()) : name;
    }

    /** A fault of the model's files (their errors name the file themselves). */
    private static ModelLoadException cannotLoad(Path path, RuntimeException e) {
        boolean named = e.getMessage().startsWith("model file ") || e.getMessage().startsWith("model directory ");
        String what = named ? e.getMessage() : path + ": " + e.getMessage();
        return new ModelLoadException("cannot load the model: " + what);
    }

}
