package io.jshim.e2e;

import java.util.Map;

/** The sync-pipe report: {kind, pid} on success, {kind, status, stderr} on failure. */
final class Report {
    final String raw;
    final String kind;
    final long pid;
    final String status;
    final String stderr;

    private Report(String raw, String kind, long pid, String status, String stderr) {
        this.raw = raw;
        this.kind = kind;
        this.pid = pid;
        this.status = status;
        this.stderr = stderr;
    }

    /** Parses a report; conman's rules: one object, unknown keys ignored, keys case-insensitive. */
    static Report parse(String raw) {
        Map<String, Object> m = Json.parseFlatObject(raw);
        String kind = null;
        String status = null;
        String stderr = null;
        long pid = 0;
        for (Map.Entry<String, Object> e : m.entrySet()) {
            Object v = e.getValue();
            switch (e.getKey().toLowerCase(java.util.Locale.ROOT)) {
                case "kind": kind = asString(e.getKey(), v); break;
                case "status": status = asString(e.getKey(), v); break;
                case "stderr": stderr = asString(e.getKey(), v); break;
                case "pid":
                    if (!(v instanceof Long)) {
                        throw new IllegalArgumentException("report: pid is not an integer: " + raw);
                    }
                    pid = (Long) v;
                    break;
                default:
                    break;
            }
        }
        if (kind == null) {
            throw new IllegalArgumentException("report has no kind: " + raw);
        }
        return new Report(raw, kind, pid, status, stderr);
    }

    private static String asString(String key, Object v) {
        if (!(v instanceof String)) {
            throw new IllegalArgumentException("report: " + key + " is not a string");
        }
        return (String) v;
    }

    boolean isSuccess() {
        return "container_pid".equals(kind) && pid > 0;
    }

    @Override
    public String toString() {
        return raw;
    }
}
