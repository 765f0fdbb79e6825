package io.moeoperator.server.model.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.safetensors.SafetensorsFile;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pruned copy's plan from a safetensors header: ranges merged only where the file is contiguous, a valid file. */
class ShardHeaderTest {
    @TempDir
    Path dir;

    /** name -> [begin, end) in bytes of F32 data; order as given, gaps allowed. */
    static byte[] header(Map<String, long[]> tensors) {
        StringBuilder json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        tensors.forEach((name, r) -> json.append(",\"").append(name).append("\":{\"dtype\":\"F32\",\"shape\":[")
                .append((r[1] - r[0]) / 4).append("],\"data_offsets\":[").append(r[0]).append(",").append(r[1]).append("]}"));
        return json.append("}").toString().getBytes(StandardCharsets.UTF_8);
    }

    static Map<String, long[]> layout() {
        Map<String, long[]> t = new LinkedHashMap<>();
        t.put("a", new long[] {0, 16});
        t.put("other", new long[] {16, 48}); // left out: splits the ranges
        t.put("c", new long[] {48, 64});
        t.put("empty", new long[] {64, 64});
        t.put("e", new long[] {72, 88}); // 8 bytes of padding before it
        t.put("f", new long[] {88, 120});
        return t;
    }

    @Test
    void keptTensorsBecomeRangesMergedWhereAdjacentAndAValidFileOfExactlyThem() throws IOException {
        byte[] json = header(layout());
        byte[] data = new byte[120];
        new Random(1).nextBytes(data);
        byte[] remote = new byte[8 + json.length + data.length];
        ByteBuffer.wrap(remote).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length);
        System.arraycopy(json, 0, remote, 8, json.length);
        System.arraycopy(data, 0, remote, 8 + json.length, data.length);
        ShardHeader h = ShardHeader.parse("test", json, remote.length);
        ShardHeader.Pruned p = h.prune(n -> !n.equals("other"), "other ranks' experts left out");

        long ds = 8 + json.length;
        List<FileTransfer.Segment> s = p.plan().segments();
        assertEquals(3, s.size(), s.toString());
        assertEquals(List.of(ds, ds + 48, ds + 72), s.stream().map(FileTransfer.Segment::remoteOffset).toList());
        assertEquals(List.of(16L, 16L, 48L), s.stream().map(FileTransfer.Segment::length).toList());
        assertEquals(0, p.plan().prefix().length % 8, "the data starts 8-byte aligned");
        assertEquals(List.of("a", "c", "empty", "e", "f"), p.kept());
        assertEquals(80, p.keptBytes());

        byte[] local = new byte[(int) p.plan().localSize()];
        System.arraycopy(p.plan().prefix(), 0, local, 0, p.plan().prefix().length);
        for (FileTransfer.Segment seg : s) {
            System.arraycopy(remote, (int) seg.remoteOffset(), local, (int) seg.localOffset(), (int) seg.length());
        }
        Path file = dir.resolve("pruned.safetensors");
        Files.write(file, local);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(Set.of("a", "c", "empty", "e", "f"), f.tensors().keySet());
            for (String name : f.tensors().keySet()) {
                long[] r = layout().get(name);
                byte[] want = java.util.Arrays.copyOfRange(data, (int) r[0], (int) r[1]);
                assertArrayEquals(want, f.data(f.tensors().get(name)).toArray(ValueLayout.JAVA_BYTE), name);
            }
            assertEquals("other ranks' experts left out", f.metadata().get("moe.pruned"));
            assertEquals("pt", f.metadata().get("format"));
        }
        assertEquals(p.plan().prefix().length + 16 + 16, p.plan().localEnd(32), "the first 32 remote bytes end after a and c");
    }

    @Test
    void aHeaderThatDoesNotFitItsFileIsRefusedNamingTheTensor() {
        Map<String, long[]> t = new LinkedHashMap<>(layout());
        t.put("beyond", new long[] {120, 200});
        byte[] json = header(t);
        HubIntegrityException e = assertThrows(HubIntegrityException.class, () -> ShardHeader.parse("f.safetensors", json, 8 + json.length + 120));
        assertTrue(e.getMessage().contains("tensor beyond has data_offsets [120, 200] outside the file's 120 data bytes"), e.getMessage());

        Map<String, long[]> overlapping = new LinkedHashMap<>();
        overlapping.put("x", new long[] {0, 16});
        overlapping.put("y", new long[] {8, 24});
        byte[] o = header(overlapping);
        e = assertThrows(HubIntegrityException.class, () -> ShardHeader.parse("f.safetensors", o, 8 + o.length + 24));
        assertTrue(e.getMessage().contains("tensors x and y overlap"), e.getMessage());

        byte[] notJson = "{\"x\": [".getBytes(StandardCharsets.UTF_8);
        e = assertThrows(HubIntegrityException.class, () -> ShardHeader.parse("f.safetensors", notJson, 100));
        assertTrue(e.getMessage().startsWith("f.safetensors: the safetensors header is not JSON"), e.getMessage());
    }
}
