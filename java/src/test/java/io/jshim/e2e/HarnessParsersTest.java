package io.jshim.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Self-checks of the e2e harness's parsers; no root, runc or native library needed. */
@Tag("unit")
class HarnessParsersTest {
    @Test
    void reportSuccessAndFailure() {
        Report ok = Report.parse("{\"kind\":\"container_pid\",\"pid\":12345}");
        assertTrue(ok.isSuccess());
        assertEquals(12345, ok.pid);
        Report bad = Report.parse("{\"kind\":\"runtime_abnormal_termination\",\"status\":\"Runtime Exited with code 3.\","
                + "\"stderr\":\"msg=\\\"No help topic for 'foobar=123'\\\\n\\\"\\n\"} \n");
        assertEquals("runtime_abnormal_termination", bad.kind);
        assertEquals("Runtime Exited with code 3.", bad.status);
        assertEquals("msg=\"No help topic for 'foobar=123'\\n\"\n", bad.stderr);
        assertTrue(!bad.isSuccess());
    }

    @Test
    void reportRejectsGarbage() {
        assertThrows(IllegalArgumentException.class, () -> Report.parse(""));
        assertThrows(IllegalArgumentException.class, () -> Report.parse("{\"kind\":\"x\"}{"));
        assertThrows(IllegalArgumentException.class, () -> Report.parse("{\"pid\":1}"));
        assertThrows(IllegalArgumentException.class, () -> Json.parseFlatObject("{\"a\":{}}"));
        assertEquals(Map.of("a", "\u00e9"), Json.parseFlatObject("{\"a\":\"\\u00e9\"}"));
    }

    @Test
    void exitFileExactShape() {
        ExitFile e = ExitFile.parse("{\"at\": \"2024-02-02T10:11:12.123456789+00:00\", \"reason\": \"exited\", \"exitCode\": 42}");
        assertEquals(42, e.exitCode);
        assertEquals("exited", e.reason);
        ExitFile s = ExitFile.parse("{\"at\": \"2024-02-02T10:11:12+00:00\", \"reason\": \"signaled\", \"signal\": 9}");
        assertEquals(9, s.signal);
        assertThrows(AssertionError.class, () -> ExitFile.parse(
                "{\"at\":\"2024-02-02T10:11:12+00:00\",\"reason\":\"exited\",\"exitCode\":0}"));
        assertThrows(AssertionError.class, () -> ExitFile.parse(
                "{\"at\": \"2024-02-02T10:11:12Z\", \"reason\": \"exited\", \"exitCode\": 0}"));
        assertThrows(AssertionError.class, () -> ExitFile.parse(
                "{\"at\": \"2024-02-02T10:11:12+00:00\", \"reason\": \"exited\", \"exitCode\": 0}\n"));
    }

    @Test
    void logRecords() {
        List<LogRecord> r = LogRecord.parse("2024-02-02T10:11:12.123+00:00 stdout a b \n"
                + "2024-02-02T10:11:12.123456+00:00 stderr x\r\n");
        assertEquals(2, r.size());
        assertEquals("a b ", r.get(0).text);
        assertEquals("x\r", r.get(1).text);
        assertEquals(List.of("x\r"), LogRecord.texts(r, "stderr"));
        assertThrows(AssertionError.class, () -> LogRecord.parse("2024-02-02T10:11:12.1234+00:00 stdout a\n"));
        assertThrows(AssertionError.class, () -> LogRecord.parse("2024-02-02T10:11:12+00:00 stdin a\n"));
        assertThrows(AssertionError.class, () -> LogRecord.parse("2024-02-02T10:11:12+00:00 stdout a"));
    }

    @Test
    void bundleRendersRuncTemplate() {
        String template = "{\n\t\"process\": {\n\t\t\"terminal\": true,\n\t\t\"args\": [\n\t\t\t\"sh\"\n\t\t],\n"
                + "\t\t\"cwd\": \"/\"\n\t},\n\t\"root\": {\n\t\t\"path\": \"rootfs\",\n\t\t\"readonly\": true\n\t}\n}\n";
        String c = Bundle.render(template, "/abs/rootfs", List.of("sh", "-c", "echo \"hi\"\\n"));
        assertTrue(c.contains("\"args\": [\"sh\", \"-c\", \"echo \\\"hi\\\"\\\\n\"]"), c);
        assertTrue(c.contains("\"terminal\": false"), c);
        assertTrue(c.contains("\"root\": {\"path\": \"/abs/rootfs\", \"readonly\": true}"), c);
        assertThrows(IllegalArgumentException.class, () -> Bundle.render("{}", "/r", List.of("sh")));
    }
}
