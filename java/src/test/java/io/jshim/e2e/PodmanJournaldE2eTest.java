package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * podman --log-driver journald (conmon spec 5.4): the monitor sends one native-protocol entry
 * per line to /run/systemd/journal/socket. No journald runs on the test hosts, so the test binds
 * that socket itself (tests/helpers/dgram_sink.c, which never replaces an existing one) and
 * reads back what arrived: podman then also gets past its own journal check.
 */
@Tag("e2e")
@Tag("podman")
@Timeout(120)
class PodmanJournaldE2eTest extends PodmanE2eBase {
    private static final Path JOURNAL = Path.of("/run/systemd/journal/socket");

    @Test
    void linesReachTheJournalWithTheirFields() throws Exception {
        assertFalse(Files.exists(JOURNAL), JOURNAL + " exists: a real journal runs here; this test "
                + "needs a host without one (it binds that socket to read what the monitor sends)");
        String sink = System.getProperty("jshim.test.dgramsink", "");
        assertTrue(!sink.isEmpty() && Files.isExecutable(Path.of(sink)),
                "the dgram-sink helper is missing: system property jshim.test.dgramsink = " + sink);
        Path recorded = w.tmp.resolve("journal.bin");
        Process p = Procs.start(new ProcessBuilder(sink, JOURNAL.toString(), recorded.toString(), "90")
                .redirectErrorStream(true).redirectOutput(w.tmp.resolve("dgram-sink.out").toFile()));
        try {
            for (int i = 0; i < 100 && !Files.exists(JOURNAL); i++) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(JOURNAL), "dgram-sink did not bind " + JOURNAL);
            PodmanCmd run = startGated("run", "jd", List.of("--log-driver", "journald", "--log-opt", "tag=mytag"),
                    "echo hello-journal; echo err-journal >&2; printf partial");
            assertConmonUnderTest("jd", run);
            String id = w.inspect("jd", "{{.Id}}");
            w.openGate("jd");
            PodmanCmd.Result r = run.await(PodmanWorld.TIMEOUT_MS);
            assertEquals(0, r.rc, r::toString);
            List<Map<String, String>> mine = new ArrayList<>();
            for (int i = 0; i < 100 && mine.size() < 3; i++) {
                Thread.sleep(50);
                mine = entriesOf(Files.readAllBytes(recorded), id);
            }
            assertEquals(3, mine.size(), () -> "journal entries of " + id + ": " + entriesText(recorded));
            assertEntry(mine.get(0), id, "hello-journal\n", "6", false);
            assertEntry(mine.get(1), id, "err-journal\n", "3", false);
            assertEntry(mine.get(2), id, "partial", "6", true);
        } finally {
            p.destroy();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(JOURNAL), "dgram-sink left " + JOURNAL + " behind");
    }

    private static void assertEntry(Map<String, String> e, String id, String message, String priority,
            boolean partial) {
        assertEquals(message, e.get("MESSAGE"), e::toString);
        assertEquals(priority, e.get("PRIORITY"), e::toString);
        assertEquals(id.substring(0, 12), e.get("CONTAINER_ID"), e::toString);
        assertEquals("mytag", e.get("CONTAINER_TAG"), e::toString);
        assertEquals("jd", e.get("CONTAINER_NAME"), e::toString);
        assertEquals("mytag", e.get("SYSLOG_IDENTIFIER"), e::toString);
        assertEquals(partial ? "true" : null, e.get("CONTAINER_PARTIAL_MESSAGE"), e::toString);
    }

    private static String entriesText(Path recorded) {
        try {
            return entriesOf(Files.readAllBytes(recorded), null).toString();
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /** The recorded datagrams as field maps, only those of container id (all with null). */
    static List<Map<String, String>> entriesOf(byte[] recorded, String id) {
        List<Map<String, String>> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(recorded).order(ByteOrder.nativeOrder());
        while (b.remaining() >= 4) {
            int len = b.getInt();
            if (len > b.remaining()) {
                break;
            }
            byte[] d = new byte[len];
            b.get(d);
            Map<String, String> e = parse(d);
            if (id == null || id.equals(e.get("CONTAINER_ID_FULL"))) {
                out.add(e);
            }
        }
        return out;
    }

    /** journald's native protocol: KEY=value\n, or KEY\n<u64 LE length><value>\n. */
    static Map<String, String> parse(byte[] d) {
        Map<String, String> e = new HashMap<>();
        int p = 0;
        while (p < d.length) {
            int nl = p;
            int eq = -1;
            while (nl < d.length && d[nl] != '\n') {
                if (d[nl] == '=' && eq < 0) {
                    eq = nl;
                }
                nl++;
            }
            if (eq >= 0) {
                e.put(str(d, p, eq), str(d, eq + 1, nl));
                p = nl + 1;
                continue;
            }
            String key = str(d, p, nl);
            long n = ByteBuffer.wrap(d, nl + 1, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            int start = nl + 9;
            e.put(key, str(d, start, start + (int) n));
            p = start + (int) n + 1;
        }
        return e;
    }

    private static String str(byte[] d, int from, int to) {
        return new String(d, from, to - from, StandardCharsets.UTF_8);
    }
}
