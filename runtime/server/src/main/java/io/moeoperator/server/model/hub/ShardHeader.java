package io.moeoperator.server.model.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The header of a remote safetensors file (an 8-byte little-endian length, then that many bytes of
 * JSON giving each tensor's dtype, shape and data offsets), read with two range requests, and the
 * plan of a pruned copy: the same header less the tensors left out, offsets packed, then only the
 * kept tensors' bytes. Adjacent kept tensors become one range; tensors keep the file's order.
 */
final class ShardHeader {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The reference implementation's limit; a longer header is a corrupt length. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    record Entry(String name, JsonNode spec, long begin, long end) {
        long bytes() {
            return end - begin;
        }
    }

    /** The pruned file's plan and the names it keeps, in file order. */
    record Pruned(FileTransfer.Plan plan, List<String> kept, long keptBytes, int numRanges) {}

    final long dataStart;
    final List<Entry> entries;
    private final JsonNode metadata;

    private ShardHeader(long dataStart, List<Entry> entries, JsonNode metadata) {
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Reads and checks the header; its bytes count as downloaded. */
    static ShardHeader read(HubFileReader reader) {
        RepoFile f = reader.file();
        if (f.size() < 8) {
            throw new HubIntegrityException(reader.what() + ": " + f.size() + " bytes, too short for a safetensors header");
        }
        byte[] length = new byte[8];
        reader.read(0, 8, arraySink(length), 0, TransferProgress.quiet());
        long n = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 2 || n > MAX_HEADER_BYTES || n > f.size() - 8) {
            throw new HubIntegrityException(reader.what() + ": header length " + Long.toUnsignedString(n) + " does not fit the file's "
                    + f.size() + " bytes (not a safetensors file, or a broken upload)");
        }
        byte[] json = new byte[(int) n];
        reader.read(8, n, arraySink(json), 0, TransferProgress.quiet());
        return parse(reader.what(), json, f.size());
    }

    static ShardHeader parse(String what, byte[] json, long fileSize) {
        JsonNode root;
        try {
            root = JSON.readTree(new String(json, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new HubIntegrityException(what + ": the safetensors header is not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new HubIntegrityException(what + ": the safetensors header is not a JSON object");
        }
        long dataStart = 8 + json.length;
        long dataBytes = fileSize - dataStart;
        List<Entry> entries = new ArrayList<>();
        JsonNode metadata = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                metadata = e.getValue();
                continue;
            }
            JsonNode offsets = e.getValue().path("data_offsets");
            if (!offsets.isArray() || offsets.size() != 2 || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
                throw new HubIntegrityException(what + ": tensor " + e.getKey() + " has no data_offsets [begin, end]");
            }
            long begin = offsets.get(0).asLong();
            long end = offsets.get(1).asLong();
            if (begin < 0 || end < begin || end > dataBytes) {
                throw new HubIntegrityException(what + ": tensor " + e.getKey() + " has data_offsets [" + begin + ", " + end
                        + "] outside the file's " + dataBytes + " data bytes (the hub's tree lists " + fileSize + " bytes)");
            }
            entries.add(new Entry(e.getKey(), e.getValue(), begin, end));
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < entries.size(); i++) {
            if (entries.get(i).begin() < entries.get(i - 1).end()) {
                throw new HubIntegrityException(what + ": tensors " + entries.get(i - 1).name() + " and " + entries.get(i).name()
                        + " overlap");
            }
        }
        return new ShardHeader(dataStart, List.copyOf(entries), metadata);
    }

    /**
     * The plan of a copy holding only the tensors {@code keep} accepts; {@code note} goes into the
     * header's {@code __metadata__} as {@code moe.pruned}, saying what was left out and why.
     */
    Pruned prune(Predicate<String> keep, String note) {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = metadata != null && metadata.isObject() ? ((ObjectNode) metadata).deepCopy() : JSON.createObjectNode();
        meta.put("moe.pruned", note);
        header.set("__metadata__", meta);
        List<Entry> kept = entries.stream().filter(e -> keep.test(e.name())).toList();
        long offset = 0;
        for (Entry e : kept) {
            ObjectNode spec = ((ObjectNode) e.spec()).deepCopy();
            ArrayNode offsets = spec.putArray("data_offsets");
            offsets.add(offset).add(offset + e.bytes());
            header.set(e.name(), spec);
            offset += e.bytes();
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the data starts 8-byte aligned, as the reference writer leaves it
        byte[] prefix = new byte[8 + padded];
        ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        System.arraycopy(json, 0, prefix, 8, json.length);
        java.util.Arrays.fill(prefix, 8 + json.length, prefix.length, (byte) ' ');
        List<FileTransfer.Segment> segments = new ArrayList<>();
        long local = prefix.length;
        for (Entry e : kept) {
            long remote = dataStart + e.begin();
            FileTransfer.Segment last = segments.isEmpty() ? null : segments.getLast();
            if (last != null && last.remoteOffset() + last.length() == remote) { // adjacent in the file: one range
                segments.set(segments.size() - 1, new FileTransfer.Segment(last.remoteOffset(), last.localOffset(),
                        last.length() + e.bytes()));
            } else if (e.bytes() > 0) {
                segments.add(new FileTransfer.Segment(remote, local, e.bytes()));
            }
            local += e.bytes();
        }
        return new Pruned(new FileTransfer.Plan(prefix, List.copyOf(segments), local), kept.stream().map(Entry::name).toList(),
                offset, segments.size());
    }

    private static HubFileReader.Sink arraySink(byte[] into) {
        return (offset, bytes, length) -> System.arraycopy(bytes, 0, into, (int) offset, length);
    }
}
