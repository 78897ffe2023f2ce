package io.jshim.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** One line of the container log: "<rfc3339> stdout|stderr <text>\n". */
final class LogRecord {
    /** chrono to_rfc3339 of a UTC time: +00:00, 0/3/6/9 fraction digits. */
    static final String TIMESTAMP =
            "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.(?:\\d{3}|\\d{6}|\\d{9}))?\\+00:00";

    final String time;
    final String stream;
    final String text;

    LogRecord(String time, String stream, String text) {
        this.time = time;
        this.stream = stream;
        this.text = text;
    }

    /** Parses a whole log; every line must be a well-formed record and end with \n. */
    static List<LogRecord> parse(String content) {
        List<LogRecord> out = new ArrayList<>();
        if (content.isEmpty()) {
            return out;
        }
        if (!content.endsWith("\n")) {
            throw new AssertionError("log does not end with a newline: ..."
                    + Json.quote(content.substring(Math.max(0, content.length() - 80))));
        }
        int start = 0;
        while (start < content.length()) {
            int nl = content.indexOf('\n', start);
            String line = content.substring(start, nl);
            start = nl + 1;
            int s1 = line.indexOf(' ');
            int s2 = s1 < 0 ? -1 : line.indexOf(' ', s1 + 1);
            if (s2 < 0) {
                throw new AssertionError("malformed log record: " + Json.quote(line));
            }
            String time = line.substring(0, s1);
            String stream = line.substring(s1 + 1, s2);
            if (!time.matches(TIMESTAMP)) {
                throw new AssertionError("bad log timestamp " + Json.quote(time) + " in " + Json.quote(line));
            }
            if (!stream.equals("stdout") && !stream.equals("stderr")) {
                throw new AssertionError("bad log stream " + Json.quote(stream) + " in " + Json.quote(line));
            }
            out.add(new LogRecord(time, stream, line.substring(s2 + 1)));
        }
        return out;
    }

    static List<LogRecord> parseFile(Path p) throws IOException {
        return parse(Files.readString(p, StandardCharsets.UTF_8));
    }

    static List<String> texts(List<LogRecord> records, String stream) {
        return records.stream().filter(r -> r.stream.equals(stream)).map(r -> r.text).collect(Collectors.toList());
    }

    @Override
    public String toString() {
        return time + " " + stream + " " + text;
    }
}
