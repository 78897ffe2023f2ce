package io.jshim.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jshim.protocol.Protocol;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class MainTest {
    @Test
    void socketFromFlagThenEnvThenDefault() throws Exception {
        Map<String, String> env = Map.of(Protocol.SOCKET_ENV, "/env/s.sock");
        assertEquals("/flag/s.sock", Main.parse(new String[] {"--socket", "/flag/s.sock"}, env).socket());
        assertEquals("/flag/s.sock", Main.parse(new String[] {"--socket=/flag/s.sock"}, env).socket());
        assertEquals("/env/s.sock", Main.parse(new String[0], env).socket());
        assertEquals(Protocol.DEFAULT_SOCKET, Main.parse(new String[0], Map.of()).socket());
        assertEquals(Protocol.DEFAULT_SOCKET, Main.parse(new String[0], Map.of(Protocol.SOCKET_ENV, "")).socket());
    }

    @Test
    void logLevelAndActions() throws Exception {
        assertEquals("info", Main.parse(new String[0], Map.of()).logLevel());
        assertEquals("trace", Main.parse(new String[] {"--log-level", "trace"}, Map.of()).logLevel());
        assertEquals("run", Main.parse(new String[0], Map.of()).action());
        assertEquals("version", Main.parse(new String[] {"--version"}, Map.of()).action());
        assertEquals("help", Main.parse(new String[] {"--help", "--version"}, Map.of()).action());
    }

    @Test
    void badArgumentsNameTheProblem() {
        Main.UsageException e = assertThrows(Main.UsageException.class,
                () -> Main.parse(new String[] {"--log-level", "loud"}, Map.of()));
        assertTrue(e.getMessage().contains("loud"), e.getMessage());
        e = assertThrows(Main.UsageException.class, () -> Main.parse(new String[] {"--socket"}, Map.of()));
        assertTrue(e.getMessage().contains("--socket"), e.getMessage());
        e = assertThrows(Main.UsageException.class, () -> Main.parse(new String[] {"--frobnicate"}, Map.of()));
        assertTrue(e.getMessage().contains("--frobnicate"), e.getMessage());
        e = assertThrows(Main.UsageException.class, () -> Main.parse(new String[] {"stray"}, Map.of()));
        assertTrue(e.getMessage().contains("stray"), e.getMessage());
    }

    @Test
    void versionComesFromTheFilteredResource() {
        String v = Main.version();
        assertTrue(v.matches("\\d+\\.\\d+\\.\\d+.*"), v);
    }
}
