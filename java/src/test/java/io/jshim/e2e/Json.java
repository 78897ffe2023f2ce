package io.jshim.e2e;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A purpose-built parser for one flat JSON object whose values are strings or integers (the
 * sync-pipe report and the exit file). Strings map to String, numbers to Long. Anything else
 * (nesting, floats, true/false/null, trailing garbage) is rejected, except trailing whitespace.
 */
final class Json {
    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    static Map<String, Object> parseFlatObject(String text) {
        Json p = new Json(text);
        Map<String, Object> out = p.object();
        p.ws();
        if (p.i != p.s.length()) {
            throw p.error("trailing characters");
        }
        return out;
    }

    private Map<String, Object> object() {
        Map<String, Object> out = new LinkedHashMap<>();
        ws();
        expect('{');
        ws();
        if (peek() == '}') {
            i++;
            return out;
        }
        while (true) {
            ws();
            String key = string();
            ws();
            expect(':');
            ws();
            char c = peek();
            Object value = c == '"' ? string() : number();
            if (out.put(key, value) != null) {
                throw error("duplicate key " + key);
            }
            ws();
            char sep = next();
            if (sep == '}') {
                return out;
            }
            if (sep != ',') {
                throw error("expected , or }");
            }
        }
    }

    private Long number() {
        int start = i;
        if (peek() == '-') {
            i++;
        }
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == start || (i == start + 1 && s.charAt(start) == '-')) {
            throw error("expected a string or an integer");
        }
        try {
            return Long.parseLong(s.substring(start, i));
        } catch (NumberFormatException e) {
            throw error("bad integer");
        }
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                throw error("control character in string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"': b.append('"'); break;
                case '\\': b.append('\\'); break;
                case '/': b.append('/'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'n': b.append('\n'); break;
                case 'r': b.append('\r'); break;
                case 't': b.append('\t'); break;
                case 'u':
                    if (i + 4 > s.length()) {
                        throw error("short \\u escape");
                    }
                    try {
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error("bad \\u escape");
                    }
                    i += 4;
                    break;
                default:
                    throw error("bad escape \\" + e);
            }
        }
    }

    private void ws() {
        while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
    }

    private char peek() {
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        return s.charAt(i);
    }

    private char next() {
        char c = peek();
        i++;
        return c;
    }

    private void expect(char c) {
        if (next() != c) {
            throw error("expected " + c);
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("JSON: " + what + " at offset " + i + " in: " + s);
    }

    /** JSON string literal for s (quotes included). */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }
}
