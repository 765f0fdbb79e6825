package io.moeoperator.engine.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.kernel.VectorOps;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's silu against llama.cpp's, bit for bit: {@link VectorOps#swiglu} with up = 1 (an exact
 * multiply) against {@code ggml_silu} computed by the oracle's own native library (de.kherud:llama's
 * libjllama.so, llama.cpp b4916), called through ggml's C API with the foreign-function API. ggml
 * computes silu 8 floats at a time with {@code ggml_v_expf}, which the engine's FloatExp follows step
 * for step; this holds the two together over a dense sample of all 2^32 floats (the whole set agreed
 * when FloatExp was written). Rows are multiples of 8 long, so no element falls in ggml's scalar tail,
 * which calls libm's expf instead.
 */
class SiluLlamaCppIT {
    /** Every 61st bit pattern: 70 million floats, NaNs, infinities and subnormals among them. */
    private static final int STRIDE = 61;
    private static final int ROW = 1 << 20;
    private static final ValueLayout.OfInt GGML_TYPE = ValueLayout.JAVA_INT;
    private static final int GGML_TYPE_F32 = 0;

    @TempDir
    Path dir;

    /** failsafe points java.io.tmpdir at target/it-tmp, which nothing may have created yet. */
    @BeforeAll
    static void createTmpDir() throws IOException {
        Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
    }

    @Test
    void siluEqualsGgml() throws Throwable {
        try (Arena arena = Arena.ofConfined();
             Ggml ggml = new Ggml(SymbolLookup.libraryLookup(extractLibrary(), arena), arena);
             VectorOps ops = new VectorOps(1)) {
            float[] gate = new float[ROW];
            float[] ones = new float[ROW];
            Arrays.fill(ones, 1f);
            float[] theirs = new float[ROW];
            long compared = 0;
            long bits = Integer.MIN_VALUE;
            while (bits <= Integer.MAX_VALUE) {
                for (int i = 0; i < ROW; i++, bits += STRIDE) {
                    gate[i] = Float.intBitsToFloat((int) Math.min(bits, Integer.MAX_VALUE));
                }
                float[] in = gate.clone();
                ggml.silu(gate, theirs);
                ops.swiglu(gate, ones, ROW);
                for (int i = 0; i < ROW; i++) {
                    if (Float.floatToIntBits(gate[i]) != Float.floatToIntBits(theirs[i])) {
                        throw new AssertionError("silu(" + in[i] + " = " + Float.toHexString(in[i]) + "): engine "
                                + gate[i] + ", llama.cpp " + theirs[i]);
                    }
                }
                compared += ROW;
            }
            assertTrue(compared >= (1L << 32) / STRIDE, "floats compared: " + compared);
        }
    }

    /** The library de.kherud:llama loads, from its jar; only the platforms it ships are supported. */
    private Path extractLibrary() throws IOException {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64" -> "aarch64";
            default -> throw new AssertionError("no llama.cpp library for os.arch " + System.getProperty("os.arch"));
        };
        String resource = "de/kherud/llama/Linux/" + arch + "/libjllama.so";
        try (InputStream in = SiluLlamaCppIT.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new AssertionError(resource + " is not on the test classpath (de.kherud:llama, Linux only)");
            }
            Path lib = dir.resolve("libjllama.so");
            Files.copy(in, lib);
            return lib;
        }
    }

    /** One ggml context holding a graph out = silu(in) over a row of ROW floats. */
    private static final class Ggml implements AutoCloseable {
        /** struct ggml_init_params { size_t mem_size; void * mem_buffer; bool no_alloc; } */
        private static final StructLayout INIT_PARAMS = MemoryLayout.structLayout(ValueLayout.JAVA_LONG,
                ValueLayout.ADDRESS, ValueLayout.JAVA_BOOLEAN, MemoryLayout.paddingLayout(7));

        private final MethodHandle compute;
        private final MethodHandle free;
        private final MemorySegment context;
        private final MemorySegment graph;
        private final MemorySegment inData;
        private final MemorySegment outData;

        Ggml(SymbolLookup lib, Arena arena) throws Throwable {
            Linker linker = Linker.nativeLinker();
            MethodHandle init = handle(linker, lib, "ggml_init", FunctionDescriptor.of(ValueLayout.ADDRESS, INIT_PARAMS));
            free = handle(linker, lib, "ggml_free", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
            MethodHandle newTensor = handle(linker, lib, "ggml_new_tensor_1d",
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, GGML_TYPE, ValueLayout.JAVA_LONG));
            MethodHandle data = handle(linker, lib, "ggml_get_data",
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MethodHandle silu = handle(linker, lib, "ggml_silu",
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MethodHandle newGraph = handle(linker, lib, "ggml_new_graph",
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            MethodHandle expand = handle(linker, lib, "ggml_build_forward_expand",
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            compute = handle(linker, lib, "ggml_graph_compute_with_ctx",
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

            MemorySegment params = arena.allocate(INIT_PARAMS);
            params.set(ValueLayout.JAVA_LONG, 0, 2L * ROW * Float.BYTES + (16 << 20)); // two rows, graph and work
            params.set(ValueLayout.ADDRESS, 8, MemorySegment.NULL);
            params.set(ValueLayout.JAVA_BOOLEAN, 16, false);
            context = (MemorySegment) init.invokeExact(params);
            if (context.equals(MemorySegment.NULL)) {
                throw new AssertionError("ggml_init returned NULL");
            }
            MemorySegment in = (MemorySegment) newTensor.invokeExact(context, GGML_TYPE_F32, (long) ROW);
            MemorySegment out = (MemorySegment) silu.invokeExact(context, in);
            graph = (MemorySegment) newGraph.invokeExact(context);
            expand.invokeExact(graph, out);
            inData = ((MemorySegment) data.invokeExact(in)).reinterpret(4L * ROW);
            outData = ((MemorySegment) data.invokeExact(out)).reinterpret(4L * ROW);
        }

        void silu(float[] x, float[] result) throws Throwable {
            MemorySegment.copy(x, 0, inData, ValueLayout.JAVA_FLOAT, 0, ROW);
            int status = (int) compute.invokeExact(context, graph, 1);
            assertEquals(0, status, "ggml_graph_compute_with_ctx status (0 = GGML_STATUS_SUCCESS)");
            MemorySegment.copy(outData, ValueLayout.JAVA_FLOAT, 0, result, 0, ROW);
        }

        @Override
        public void close() {
            try {
                free.invokeExact(context);
            } catch (Throwable t) {
                throw new IllegalStateException("ggml_free", t);
            }
        }

        private static MethodHandle handle(Linker linker, SymbolLookup lib, String name, FunctionDescriptor fd) {
            return linker.downcallHandle(lib.find(name).orElseThrow(
                    () -> new AssertionError("libjllama.so exports no " + name)), fd);
        }
    }
}
