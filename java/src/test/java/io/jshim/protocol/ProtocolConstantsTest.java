package io.jshim.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Protocol.java mirrors native/common/jshim_protocol.h: same names (minus JSHIM_), same values. */
@Tag("unit")
class ProtocolConstantsTest {
    private static final Pattern DEFINE = Pattern.compile("^#define\\s+JSHIM_(\\w+)\\s+(.+?)\\s*(/\\*.*)?$");
    private static final Pattern ENUM = Pattern.compile("^\\s*JSHIM_(MSG_\\w+)\\s*=\\s*(\\d+),");
    private static final Pattern SHIFT = Pattern.compile("\\((\\d+)u?\\s*<<\\s*(\\d+)\\)");

    private static Path header() {
        Path p = Path.of("native/common/jshim_protocol.h").toAbsolutePath();
        for (Path dir = p.getParent(); !Files.exists(p) && dir != null; dir = dir.getParent()) {
            p = dir.resolve("native/common/jshim_protocol.h");
        }
        return p;
    }

    private static Object value(String c) {
        if (c.startsWith("\"")) {
            return c.substring(1, c.length() - 1);
        }
        Matcher m = SHIFT.matcher(c);
        if (m.matches()) {
            return Integer.parseInt(m.group(1)) << Integer.parseInt(m.group(2));
        }
        String n = c.replaceAll("[uU]$", "");
        return n.startsWith("0x") ? (int) Long.parseLong(n.substring(2), 16) : Integer.parseInt(n);
    }

    @Test
    void everyHeaderConstantHasTheSameValueInJava() throws Exception {
        Path h = header();
        assertTrue(Files.exists(h), "header not found from " + Path.of("").toAbsolutePath());
        Map<String, Object> constants = new LinkedHashMap<>();
        for (String line : Files.readAllLines(h)) {
            Matcher d = DEFINE.matcher(line);
            if (d.matches() && !d.group(1).equals("PROTOCOL_H")) {
                // JSHIM_PROTO_VERSION(_MIN) is Protocol.VERSION(_MIN)
                String name = d.group(1).startsWith("PROTO_") ? d.group(1).substring(6) : d.group(1);
                constants.put(name, value(d.group(2)));
            }
            Matcher e = ENUM.matcher(line);
            if (e.find()) {
                constants.put(e.group(1), Integer.parseInt(e.group(2)));
            }
        }
        assertTrue(constants.size() > 30, "parsed only " + constants.keySet());
        for (Map.Entry<String, Object> c : constants.entrySet()) {
            Field f;
            try {
                f = Protocol.class.getField(c.getKey());
            } catch (NoSuchFieldException ex) {
                throw new AssertionError("Protocol." + c.getKey() + " is missing (header: " + c.getValue() + ")");
            }
            assertEquals(c.getValue(), f.get(null), "Protocol." + c.getKey());
        }
    }

    @Test
    void structSizesMatchTheStaticAsserts() {
        assertEquals(8, Protocol.HEADER_SIZE);
        assertEquals(32, Protocol.HELLO_SIZE);
        assertEquals(72, Protocol.HELLO2_SIZE);
        assertEquals(16, Protocol.EXITED2_SIZE);
        assertEquals(Protocol.JOURNAL_OFF_SLOTS + 2 * Protocol.JOURNAL_SLOT_SIZE, 64);
    }
}
