package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Volume through podman's attach and stdin (conmon spec 4.3: one record per chunk of at most
 * 8192 bytes, podman reads 8193-byte records; stdin written as it can be taken).
 */
@Tag("e2e")
@Tag("podman")
@Timeout(180)
class PodmanStreamsE2eTest extends PodmanE2eBase {
    @Test
    void foregroundLargeOutputOnBothStreams() throws Exception {
        PodmanCmd run = startGated("run", "big", List.of(), "seq 1 200000; seq 1 50000 >&2; exit 9");
        assertConmonUnderTest("big", run);
        w.openGate("big");
        PodmanCmd.Result r = run.await(PodmanWorld.TIMEOUT_MS);
        assertEquals(9, r.rc, r::toString);
        PodmanLogsE2eTest.assertSeq(lines(r.out), "", 200000, "podman run stdout");
        PodmanLogsE2eTest.assertSeq(lines(r.err), "", 50000, "podman run stderr");
        PodmanCmd.Result logs = w.podman("logs", "big").ok();
        PodmanLogsE2eTest.assertSeq(lines(logs.out), "", 200000, "podman logs stdout");
        PodmanLogsE2eTest.assertSeq(lines(logs.err), "", 50000, "podman logs stderr");
    }

    /** A 20000-byte line is cut into records; attach and podman logs put it back together. */
    @Test
    void longLineWithoutBreaks() throws Exception {
        PodmanCmd run = startGated("run", "longline", List.of(),
                "head -c 20000 /dev/zero | tr '\\0' x; echo; echo next");
        assertConmonUnderTest("longline", run);
        w.openGate("longline");
        PodmanCmd.Result r = run.await(PodmanWorld.TIMEOUT_MS);
        String expected = "x".repeat(20000) + "\nnext\n";
        assertEquals(0, r.rc, r::toString);
        assertEquals(expected, r.out, r::toString);
        PodmanCmd.Result logs = w.podman("logs", "longline").ok();
        assertEquals(expected, logs.out, logs::toString);
    }

    /** 1 MiB of stdin through podman run -i, counted by the container. */
    @Test
    void largeStdinWithRunI() throws Exception {
        byte[] input = stdinBytes();
        PodmanCmd run = w.start(input, w.runArgs("run", "bigin", List.of("-i"),
                PodmanWorld.gated("md5sum | cut -c1-32; exit 0")));
        assertConmonUnderTest("bigin", run);
        w.openGate("bigin");
        PodmanCmd.Result r = run.await(PodmanWorld.TIMEOUT_MS);
        assertEquals(0, r.rc, r::toString);
        assertEquals(md5(input) + "\n", r.out, r::toString);
    }

    @Test
    void execLargeOutputAndStdin() throws Exception {
        String id = w.podman(w.runArgs("run", "bigexec", List.of("-d"), "sleep", "1000").toArray(new String[0]))
                .ok().out.trim();
        assertConmonUnderTest("bigexec");
        PodmanCmd exec = w.start("exec", "bigexec", "sh", "-c",
                "while [ ! -e /gate/go ]; do sleep 0.02; done; rm /gate/go; seq 1 100000; seq 1 20000 >&2; exit 5");
        int monitor = assertExecConmonUnderTest(id, exec);
        w.openGate("bigexec");
        PodmanCmd.Result r = exec.await(PodmanWorld.TIMEOUT_MS);
        assertEquals(5, r.rc, r::toString);
        PodmanLogsE2eTest.assertSeq(lines(r.out), "", 100000, "podman exec stdout");
        PodmanLogsE2eTest.assertSeq(lines(r.err), "", 20000, "podman exec stderr");
        assertMonitorGone(monitor, "exec in bigexec");
        byte[] input = stdinBytes();
        PodmanCmd.Result in = w.start(input, List.of("exec", "-i", "bigexec", "sh", "-c", "md5sum | cut -c1-32"))
                .await(PodmanWorld.TIMEOUT_MS);
        assertEquals(0, in.rc, in::toString);
        assertEquals(md5(input) + "\n", in.out, in::toString);
    }

    /** 1 MiB of varied printable bytes with newlines. */
    private static byte[] stdinBytes() {
        byte[] b = new byte[1 << 20];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i % 61 == 60 ? '\n' : 'a' + (i * 7 + i / 61) % 26);
        }
        return b;
    }

    private static String md5(byte[] b) throws Exception {
        byte[] d = java.security.MessageDigest.getInstance("MD5").digest(b);
        StringBuilder sb = new StringBuilder();
        for (byte x : d) {
            sb.append(String.format("%02x", x));
        }
        return sb.toString();
    }
}
