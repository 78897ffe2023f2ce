package io.jshim.e2e;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The exit file: {"at": "...", "reason": "exited", "exitCode": N} or the signaled form. */
final class ExitFile {
    private static final String AT = "\\{\"at\": \"(" + LogRecord.TIMESTAMP + ")\", ";
    private static final Pattern EXITED = Pattern.compile(AT + "\"reason\": \"exited\", \"exitCode\": (\\d+)\\}");
    private static final Pattern SIGNALED = Pattern.compile(AT + "\"reason\": \"signaled\", \"signal\": (\\d+)\\}");

    final String raw;
    final String at;
    final String reason;
    /** exitCode when exited, else -1. */
    final int exitCode;
    /** signal when signaled, else -1. */
    final int signal;

    private ExitFile(String raw, String at, String reason, int exitCode, int signal) {
        this.raw = raw;
        this.at = at;
        this.reason = reason;
        this.exitCode = exitCode;
        this.signal = signal;
    }

    /** Parses the exact shape (spacing included, no newline); throws AssertionError otherwise. */
    static ExitFile parse(String raw) {
        Matcher m = EXITED.matcher(raw);
        if (m.matches()) {
            return new ExitFile(raw, m.group(1), "exited", Integer.parseInt(m.group(m.groupCount())), -1);
        }
        m = SIGNALED.matcher(raw);
        if (m.matches()) {
            return new ExitFile(raw, m.group(1), "signaled", -1, Integer.parseInt(m.group(m.groupCount())));
        }
        throw new AssertionError("malformed exit file: " + Json.quote(raw));
    }

    @Override
    public String toString() {
        return raw;
    }
}
