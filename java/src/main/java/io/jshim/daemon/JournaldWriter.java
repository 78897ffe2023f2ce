package io.jshim.daemon;

import io.jshim.nativeio.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * conmon's journald log driver (conmon-protocol.md 5.4) over the journal's native protocol:
 * one datagram per entry on a connected AF_UNIX SOCK_DGRAM socket. One entry per complete line,
 * MESSAGE with its {@code \n}; an unterminated fragment is buffered per stream up to
 * {@link #PARTIAL_MAX} bytes, and what would overflow that (buffer plus fragment) is sent at
 * once with {@code CONTAINER_PARTIAL_MESSAGE=true}, as is what is still buffered at
 * {@link #flush()}. Fields: MESSAGE, CONTAINER_ID_FULL, PRIORITY (6 stdout, 3 stderr),
 * CONTAINER_ID (12 characters), CONTAINER_TAG and CONTAINER_NAME when not empty,
 * SYSLOG_IDENTIFIER (tag, else name, else the short id).
 *
 * <p>Sends never block (MSG_DONTWAIT): an entry the journal cannot take now is dropped and
 * counted, and only the first failure is logged; nothing is thrown. The fd is the caller's to
 * close. Loop thread only.
 */
final class JournaldWriter implements Container.Journald {
    /** Partial-line buffer per stream (conmon's STDIO_BUF_SIZE). */
    static final int PARTIAL_MAX = 8192;
    private static final byte[] MESSAGE = ascii("MESSAGE\n");
    private static final byte[] PRIORITY_STDOUT = ascii("PRIORITY=6\n");
    private static final byte[] PRIORITY_STDERR = ascii("PRIORITY=3\n");
    private static final byte[] PARTIAL = ascii("CONTAINER_PARTIAL_MESSAGE=true\n");

    private final int fd;
    private final String containerId;
    /** CONTAINER_ID_FULL, encoded once. */
    private final byte[] idField;
    /** CONTAINER_ID, CONTAINER_TAG, CONTAINER_NAME, SYSLOG_IDENTIFIER, encoded once. */
    private final byte[] otherFields;
    /** Buffered fragments, indexed by LogFormat.STDOUT / STDERR. */
    private final byte[][] partial = new byte[3][];
    private final int[] partialLen = new int[3];
    private ByteBuffer datagram = ByteBuffer.allocateDirect(2 * PARTIAL_MAX + 1024).order(ByteOrder.LITTLE_ENDIAN);
    private long sent;
    private long failures;

    /** Empty or null name and tag are left out. */
    JournaldWriter(int fd, String containerId, String name, String tag) {
        this.fd = fd;
        this.containerId = containerId;
        String shortId = containerId.length() > 12 ? containerId.substring(0, 12) : containerId;
        boolean hasName = name != null && !name.isEmpty();
        boolean hasTag = tag != null && !tag.isEmpty();
        idField = field("CONTAINER_ID_FULL", containerId);
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(field("CONTAINER_ID", shortId));
        if (hasTag) {
            b.writeBytes(field("CONTAINER_TAG", tag));
        }
        if (hasName) {
            b.writeBytes(field("CONTAINER_NAME", name));
        }
        b.writeBytes(field("SYSLOG_IDENTIFIER", hasTag ? tag : hasName ? name : shortId));
        otherFields = b.toByteArray();
        partial[LogFormat.STDOUT] = new byte[PARTIAL_MAX];
        partial[LogFormat.STDERR] = new byte[PARTIAL_MAX];
    }

    /** Entries sent. */
    long sent() {
        return sent;
    }

    /** Entries dropped because the send failed. */
    long failures() {
        return failures;
    }

    /** Output bytes b[off..off+len) of {@code stream} (LogFormat.STDOUT or STDERR). */
    @Override
    public void write(int stream, byte[] b, int off, int len) {
        int s = stream == LogFormat.STDERR ? LogFormat.STDERR : LogFormat.STDOUT;
        int end = off + len;
        int i = off;
        while (i < end) {
            int nl = ShimmyLogFormat.indexOfNewline(b, i, end);
            if (nl < end) {
                send(s, b, i, nl + 1 - i, false);
                i = nl + 1;
            } else if (partialLen[s] + (end - i) <= PARTIAL_MAX) {
                System.arraycopy(b, i, partial[s], partialLen[s], end - i);
                partialLen[s] += end - i;
                i = end;
            } else {
                send(s, b, i, end - i, true);
                i = end;
            }
        }
    }

    /** Sends what is buffered (at exit), marked partial. */
    @Override
    public void flush() {
        for (int s = LogFormat.STDOUT; s <= LogFormat.STDERR; s++) {
            if (partialLen[s] > 0) {
                send(s, partial[s], 0, 0, true);
            }
        }
    }

    /** One entry: MESSAGE = the stream's buffered fragment + b[off..off+len); empties the buffer. */
    private void send(int stream, byte[] b, int off, int len, boolean isPartial) {
        int buffered = partialLen[stream];
        partialLen[stream] = 0;
        int messageLen = buffered + len;
        int size = MESSAGE.length + 8 + messageLen + 1 + idField.length + PRIORITY_STDOUT.length
                + otherFields.length + PARTIAL.length;
        if (datagram.capacity() < size) {
            datagram = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer d = datagram;
        int p = 0;
        d.put(p, MESSAGE);
        p += MESSAGE.length;
        d.putLong(p, messageLen);
        p += 8;
        d.put(p, partial[stream], 0, buffered);
        p += buffered;
        d.put(p, b, off, len);
        p += len;
        d.put(p++, (byte) '\n');
        d.put(p, idField);
        p += idField.length;
        byte[] priority = stream == LogFormat.STDERR ? PRIORITY_STDERR : PRIORITY_STDOUT;
        d.put(p, priority);
        p += priority.length;
        d.put(p, otherFields);
        p += otherFields.length;
        if (isPartial) {
            d.put(p, PARTIAL);
            p += PARTIAL.length;
        }
        int n;
        do {
            n = Native.send(fd, d, 0, p);
        } while (n == -Native.EINTR);
        if (n == p) {
            sent++;
            return;
        }
        if (failures++ == 0) {
            Daemon.LOG.warn("{}: journald: send: {}; dropping the entry (later failures are only counted)",
                    containerId, n < 0 ? Native.strerror(-n) : "short send");
        }
    }

    /** {@code KEY=value\n}, or {@code KEY\n<u64 le length>value\n} when the value has a newline. */
    static byte[] field(String key, String value) {
        byte[] k = ascii(key);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        boolean binary = value.indexOf('\n') >= 0;
        ByteBuffer f = ByteBuffer.allocate(k.length + 1 + (binary ? 8 : 0) + v.length + 1)
                .order(ByteOrder.LITTLE_ENDIAN);
        f.put(k);
        if (binary) {
            f.put((byte) '\n');
            f.putLong(v.length);
        } else {
            f.put((byte) '=');
        }
        f.put(v);
        f.put((byte) '\n');
        return f.array();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
