package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Spec 7: the attach socket. */
@Tag("e2e")
@Timeout(60)
class AttachE2eTest extends E2eBase {
    /** Without --stdin (optionally with conmanctl's default --stdin-once): input is discarded. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void withoutStdinOutputFramesAndInputIsHarmless(boolean stdinOnce) throws Exception {
        Container c = fx.container("sh", "-c",
                "sleep 0.3; echo out1; sleep 0.2; echo err1 >&2; sleep 0.2; echo out2");
        Shim shim = fx.shim(c);
        shim.stdinOnce = stdinOnce;
        Shim.Result r = createOk(shim);
        try (AttachClient client = new AttachClient(c.attachFile)) {
            fx.runc.start(c.id);
            client.send("input nobody reads\n");
            client.closeWrite();
            client.readToEof();
            assertEquals("out1\nout2\n", client.stdout(), "stdout frames (type 1)");
            assertEquals("err1\n", client.stderr(), "stderr frames (type 2)");
        }
        ExitFile e = c.awaitExitFile(5_000);
        assertEquals(0, e.exitCode, e.raw);
        assertShimGone(r);
        assertEquals(java.util.List.of("out1", "out2"), LogRecord.texts(c.logRecords(), "stdout"));
    }

    @Test
    void withStdinCatEchoesInputAndStdinStaysOpen() throws Exception {
        Container c = fx.container("cat");
        Shim shim = fx.shim(c);
        shim.stdin = true;
        Shim.Result r = createOk(shim);
        try (AttachClient client = new AttachClient(c.attachFile)) {
            fx.runc.start(c.id);
            client.send("hello\n");
            client.readUntilStdoutContains("hello\n");
            client.send("second\n");
            client.readUntilStdoutContains("hello\nsecond\n");
            client.closeWrite();
            Wait.sleep(300);
            assertFalse(Files.exists(c.exitFile), "without --stdin-once, cat's stdin stays open");
            assertEquals("running", fx.runc.state(c.id));
            fx.runc.kill(c.id, "KILL");
            client.readToEof();
            assertEquals("hello\nsecond\n", client.stdout());
        }
        ExitFile e = c.awaitExitFile(5_000);
        assertEquals(9, e.signal, e.raw);
        assertShimGone(r);
        assertEquals(java.util.List.of("hello", "second"), LogRecord.texts(c.logRecords(), "stdout"));
    }

    @Test
    void stdinOnceClosingTheWriteSideEndsCat() throws Exception {
        Container c = fx.container("cat");
        Shim shim = fx.shim(c);
        shim.stdin = true;
        shim.stdinOnce = true;
        Shim.Result r = createOk(shim);
        try (AttachClient client = new AttachClient(c.attachFile)) {
            fx.runc.start(c.id);
            client.send("once\n");
            client.readUntilStdoutContains("once\n");
            client.closeWrite();
            client.readToEof();
            assertEquals("once\n", client.stdout());
        }
        ExitFile e = c.awaitExitFile(5_000);
        assertEquals("exited", e.reason, e.raw);
        assertEquals(0, e.exitCode, e.raw);
        assertShimGone(r);
    }
}
