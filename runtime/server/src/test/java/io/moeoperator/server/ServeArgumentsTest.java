package io.moeoperator.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ServeArgumentsTest {

    @Test
    void flagsBecomeConfigurationKeys() {
        ServeArguments a = ServeArguments.parse("--model", "m.gguf", "--port", "9000", "--host=127.0.0.1",
                "--api-key", "k", "--max-num-seqs", "4", "--kv-cache-memory", "1G");
        assertEquals(Map.of("moe.model", "m.gguf", "quarkus.http.port", "9000", "quarkus.http.host", "127.0.0.1",
                "moe.api-key", "k", "moe.engine.max-num-seqs", "4", "moe.engine.kv-cache-memory", "1G"), a.config());
    }

    /** The operator's contract (docs/operator.md, "The runtime contract"). */
    @Test
    void theExpertParallelFlagsTheOperatorPassesAreConfigurationKeys() {
        ServeArguments a = ServeArguments.parse("--model", "m.gguf", "--ep-size", "2", "--ep-rank", "tiny-g0-1",
                "--ep-peers", "tiny-g0-0.tiny-g0-peers.ns.svc:29500,tiny-g0-1.tiny-g0-peers.ns.svc:29500",
                "--ep-port", "29500", "--ep-experts", "0-3,4-7", "--ep-secret-file", "/etc/moe/ep-secret/secret");
        assertEquals(Map.of("moe.model", "m.gguf", "moe.ep.size", "2", "moe.ep.rank", "tiny-g0-1",
                "moe.ep.peers", "tiny-g0-0.tiny-g0-peers.ns.svc:29500,tiny-g0-1.tiny-g0-peers.ns.svc:29500",
                "moe.ep.port", "29500", "moe.ep.experts", "0-3,4-7", "moe.ep.secret-file", "/etc/moe/ep-secret/secret"),
                a.config());
    }

    @Test
    void unknownFlagsAndMissingValuesAreNamed() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> ServeArguments.parse("--model", "m.gguf", "--prot", "1"));
        assertEquals("unknown option '--prot' for moe serve", unknown.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ServeArguments.parse("--model", "--port", "1"));
        assertEquals("option --model needs a value", missing.getMessage());
    }

    @Test
    void usageListsEveryFlagWithItsKey() {
        assertTrue(ServeArguments.parse("--help").help());
        String usage = ServeArguments.usage();
        for (ServeArguments.Flag f : ServeArguments.FLAGS) {
            assertTrue(usage.contains(f.name()) && usage.contains("[" + f.key() + "]"), f.name());
        }
    }
}
