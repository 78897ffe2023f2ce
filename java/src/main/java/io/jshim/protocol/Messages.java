package io.jshim.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Encoding and strict decoding of protocol packets (see jshim_protocol.h). Integers are in
 * native byte order. Decoding never trusts a length: any inconsistency is a
 * {@link ProtocolException}.
 */
public final class Messages {
    private Messages() {}

    private static final int KNOWN_HELLO_FLAGS = Protocol.HELLO_STDIN | Protocol.HELLO_STDIN_ONCE;
    private static final int KNOWN_EXIT_FLAGS = Protocol.EXIT_TIMED_OUT;
    /** Fds of a HELLO without stdin: journal, stdout pipe + spool, stderr pipe + spool. */
    public static final int HELLO_BASE_FDS = 5;

    /** The version field of a packet whose header {@link #decodeType} accepted. */
    public static int version(ByteBuffer buf, int pos) {
        return Short.toUnsignedInt(buf.duplicate().order(ByteOrder.nativeOrder()).getShort(pos));
    }

    /**
     * The header of a received packet of {@code len} bytes at buf[pos..]; returns the type.
     * The version must be one this daemon speaks, the type one that version has.
     */
    public static int decodeType(ByteBuffer buf, int pos, int len) throws ProtocolException {
        if (len < Protocol.HEADER_SIZE) {
            throw new ProtocolException("packet of " + len + " bytes is shorter than the header");
        }
        if (len > Protocol.MSG_MAX) {
            throw new ProtocolException("packet of " + len + " bytes exceeds " + Protocol.MSG_MAX);
        }
        ByteBuffer b = buf.duplicate().order(ByteOrder.nativeOrder());
        int version = Short.toUnsignedInt(b.getShort(pos));
        int type = Short.toUnsignedInt(b.getShort(pos + 2));
        long length = Integer.toUnsignedLong(b.getInt(pos + 4));
        if (version < Protocol.VERSION_MIN || version > Protocol.VERSION) {
            throw new ProtocolException("protocol version " + version + ", this daemon speaks "
                    + Protocol.VERSION_MIN + ".." + Protocol.VERSION);
        }
        if (length != len - Protocol.HEADER_SIZE) {
            throw new ProtocolException("header says " + length + " payload bytes, packet has "
                    + (len - Protocol.HEADER_SIZE));
        }
        int last = version == 1 ? Protocol.MSG_DONE : Protocol.MSG_ATTACH_CLIENT_GONE;
        if (type < Protocol.MSG_HELLO || type > last) {
            throw new ProtocolException("unknown message type " + type + " in protocol version " + version);
        }
        return type;
    }

    /** Decodes a whole HELLO packet (either version) that arrived with {@code nfds} fds. */
    public static Hello decodeHello(ByteBuffer buf, int pos, int len, int nfds) throws ProtocolException {
        if (decodeType(buf, pos, len) != Protocol.MSG_HELLO) {
            throw new ProtocolException("not a HELLO");
        }
        if (version(buf, pos) == 2) {
            return HelloV2.decode(buf, pos, len, nfds);
        }
        ByteBuffer b = buf.duplicate().order(ByteOrder.nativeOrder());
        int p = pos + Protocol.HEADER_SIZE;
        int end = pos + len;
        if (end - p < Protocol.HELLO_SIZE) {
            throw new ProtocolException("HELLO payload of " + (end - p) + " bytes is shorter than "
                    + Protocol.HELLO_SIZE);
        }
        int flags = b.getInt(p);
        int state = b.getInt(p + 4);
        int launcherPid = b.getInt(p + 8);
        int containerPid = b.getInt(p + 12);
        int waitStatus = b.getInt(p + 16);
        int logFormat = b.getInt(p + 20);
        int exitFormat = b.getInt(p + 24);
        int declaredFds = b.getInt(p + 28);
        p += Protocol.HELLO_SIZE;
        if ((flags & ~KNOWN_HELLO_FLAGS) != 0) {
            throw new ProtocolException("unknown HELLO flags 0x" + Integer.toHexString(flags));
        }
        if (state != Protocol.STATE_RUNNING && state != Protocol.STATE_EXITED) {
            throw new ProtocolException("unknown container state " + Integer.toUnsignedString(state));
        }
        if (logFormat != Protocol.LOG_SHIMMY) {
            throw new ProtocolException("unknown log format " + Integer.toUnsignedString(logFormat));
        }
        if (exitFormat != Protocol.EXIT_SHIMMY_JSON) {
            throw new ProtocolException("unknown exit format " + Integer.toUnsignedString(exitFormat));
        }
        if (declaredFds != nfds) {
            throw new ProtocolException("HELLO says " + Integer.toUnsignedString(declaredFds)
                    + " fds, packet carries " + nfds);
        }
        int expected = HELLO_BASE_FDS + ((flags & Protocol.HELLO_STDIN) != 0 ? 1 : 0);
        if (nfds != expected) {
            throw new ProtocolException("HELLO with flags 0x" + Integer.toHexString(flags) + " needs "
                    + expected + " fds, got " + nfds);
        }
        if (launcherPid <= 0) {
            throw new ProtocolException("bad launcher pid " + launcherPid);
        }
        String[] s = new String[Protocol.HELLO_NSTRINGS];
        for (int i = 0; i < s.length; i++) {
            if (end - p < 2) {
                throw new ProtocolException("HELLO string " + i + " is missing its length");
            }
            int n = Short.toUnsignedInt(b.getShort(p));
            p += 2;
            if (n == 0 || n > end - p) {
                throw new ProtocolException("HELLO string " + i + " has bad length " + n);
            }
            s[i] = utf8(b, p, n, i);
            p += n;
        }
        if (p != end) {
            throw new ProtocolException((end - p) + " trailing bytes after HELLO");
        }
        for (int i = 1; i < s.length; i++) {
            if (!s[i].startsWith("/")) {
                throw new ProtocolException("HELLO path " + i + " is not absolute: " + s[i]);
            }
        }
        return new Hello(flags, state, launcherPid, containerPid, waitStatus, logFormat, exitFormat,
                nfds, s[0], s[1], s[2], s[3]);
    }

    private static String utf8(ByteBuffer b, int p, int n, int index) throws ProtocolException {
        ByteBuffer slice = b.duplicate();
        slice.limit(p + n).position(p);
        for (int i = p; i < p + n; i++) {
            if (b.get(i) == 0) {
                throw new ProtocolException("HELLO string " + index + " contains NUL");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException("HELLO string " + index + " is not UTF-8");
        }
    }

    /**
     * Decodes an EXITED packet (no fds allowed) of either version. v1 carries only the wait
     * status (time 0: unknown); v2 struct jshim_exited2.
     */
    public static Exited decodeExited(ByteBuffer buf, int pos, int len, int nfds) throws ProtocolException {
        if (decodeType(buf, pos, len) != Protocol.MSG_EXITED) {
            throw new ProtocolException("not an EXITED");
        }
        if (nfds != 0) {
            throw new ProtocolException("EXITED carries " + nfds + " fds");
        }
        int version = version(buf, pos);
        int want = version == 1 ? 4 : Protocol.EXITED2_SIZE;
        if (len != Protocol.HEADER_SIZE + want) {
            throw new ProtocolException("EXITED payload of " + (len - Protocol.HEADER_SIZE)
                    + " bytes, expected " + want);
        }
        ByteBuffer b = buf.duplicate().order(ByteOrder.nativeOrder());
        int p = pos + Protocol.HEADER_SIZE;
        if (version == 1) {
            return new Exited(b.getInt(p), 0, 0);
        }
        int flags = b.getInt(p + 4);
        if ((flags & ~KNOWN_EXIT_FLAGS) != 0) {
            throw new ProtocolException("unknown exit flags 0x" + Integer.toHexString(flags));
        }
        return new Exited(b.getInt(p), flags, b.getLong(p + 8));
    }

    /** Checks a REOPEN_LOG packet (v2, no payload, no fds). */
    public static void decodeReopenLog(ByteBuffer buf, int pos, int len, int nfds) throws ProtocolException {
        if (decodeType(buf, pos, len) != Protocol.MSG_REOPEN_LOG) {
            throw new ProtocolException("not a REOPEN_LOG");
        }
        if (nfds != 0) {
            throw new ProtocolException("REOPEN_LOG carries " + nfds + " fds");
        }
        if (len != Protocol.HEADER_SIZE) {
            throw new ProtocolException("REOPEN_LOG with a payload of " + (len - Protocol.HEADER_SIZE) + " bytes");
        }
    }

    /** ATTACH_CLIENT (v2; the client's fd goes with it): the daemon kept a client under this token. */
    public static ByteBuffer attachClient(int token) {
        return token(Protocol.MSG_ATTACH_CLIENT, token);
    }

    /** ATTACH_CLIENT_GONE (v2): the daemon closed the client of this token. */
    public static ByteBuffer attachClientGone(int token) {
        return token(Protocol.MSG_ATTACH_CLIENT_GONE, token);
    }

    private static ByteBuffer token(int type, int token) {
        ByteBuffer b = out(Protocol.HEADER_SIZE + 4);
        header(b, 2, type, 4);
        b.putInt(Protocol.HEADER_SIZE, token);
        return b;
    }

    /** The u32 token of an ATTACH_CLIENT or ATTACH_CLIENT_GONE packet (used by tests that play the launcher). */
    public static int decodeToken(ByteBuffer buf, int pos, int len) throws ProtocolException {
        int type = decodeType(buf, pos, len);
        if (type != Protocol.MSG_ATTACH_CLIENT && type != Protocol.MSG_ATTACH_CLIENT_GONE) {
            throw new ProtocolException("not an ATTACH_CLIENT(_GONE)");
        }
        if (len != Protocol.HEADER_SIZE + 4) {
            throw new ProtocolException("ATTACH_CLIENT payload of " + (len - Protocol.HEADER_SIZE) + " bytes");
        }
        return buf.duplicate().order(ByteOrder.nativeOrder()).getInt(pos + Protocol.HEADER_SIZE);
    }

    /** Writes a header at buf[0..8); returns 8. */
    static int header(ByteBuffer b, int version, int type, int payload) {
        b.putShort(0, (short) version);
        b.putShort(2, (short) type);
        b.putInt(4, payload);
        return Protocol.HEADER_SIZE;
    }

    static ByteBuffer out(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }

    /** A READY packet of that version in a new direct buffer (position 0, limit = length). */
    public static ByteBuffer ready(int version) {
        return bare(version, Protocol.MSG_READY);
    }

    public static ByteBuffer closeStdin(int version) {
        return bare(version, Protocol.MSG_CLOSE_STDIN);
    }

    public static ByteBuffer done(int version) {
        return bare(version, Protocol.MSG_DONE);
    }

    /** REOPEN_LOG (v2; used by tests that play the launcher). */
    public static ByteBuffer reopenLog() {
        return bare(2, Protocol.MSG_REOPEN_LOG);
    }

    private static ByteBuffer bare(int version, int type) {
        ByteBuffer b = out(Protocol.HEADER_SIZE);
        header(b, version, type, 0);
        return b;
    }

    /** FAILED(errno, message); the message is cut (at a UTF-8 boundary) to fit MSG_MAX. */
    public static ByteBuffer failed(int version, int errno, String message) {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        int max = Protocol.MSG_MAX - Protocol.HEADER_SIZE - 4;
        int n = Math.min(text.length, max);
        while (n < text.length && n > 0 && (text[n] & 0xC0) == 0x80) {
            n--; // never split a UTF-8 sequence
        }
        ByteBuffer b = out(Protocol.HEADER_SIZE + 4 + n);
        header(b, version, Protocol.MSG_FAILED, 4 + n);
        b.putInt(Protocol.HEADER_SIZE, errno);
        b.put(Protocol.HEADER_SIZE + 4, text, 0, n);
        return b;
    }

    /** Encodes a HELLO of h's version (used by tests that play the launcher). */
    public static ByteBuffer hello(Hello h) {
        if (h.version() == 2) {
            return HelloV2.encode(h);
        }
        byte[][] s = {
            h.containerId().getBytes(StandardCharsets.UTF_8), h.logPath().getBytes(StandardCharsets.UTF_8),
            h.exitPath().getBytes(StandardCharsets.UTF_8), h.attachPath().getBytes(StandardCharsets.UTF_8)
        };
        int payload = Protocol.HELLO_SIZE;
        for (byte[] x : s) {
            payload += 2 + x.length;
        }
        ByteBuffer b = out(Protocol.HEADER_SIZE + payload);
        int p = header(b, 1, Protocol.MSG_HELLO, payload);
        int[] fields = {h.flags(), h.state(), h.launcherPid(), h.containerPid(), h.waitStatus(),
            h.logFormat(), h.exitFormat(), h.nfds()};
        for (int f : fields) {
            b.putInt(p, f);
            p += 4;
        }
        for (byte[] x : s) {
            b.putShort(p, (short) x.length);
            b.put(p + 2, x);
            p += 2 + x.length;
        }
        return b;
    }

    /** Encodes a v1 EXITED (used by tests that play the launcher). */
    public static ByteBuffer exited(int waitStatus) {
        ByteBuffer b = out(Protocol.HEADER_SIZE + 4);
        header(b, 1, Protocol.MSG_EXITED, 4);
        b.putInt(Protocol.HEADER_SIZE, waitStatus);
        return b;
    }

    /** Encodes a v2 EXITED (used by tests that play the launcher). */
    public static ByteBuffer exited2(int waitStatus, int flags, long timeNs) {
        ByteBuffer b = out(Protocol.HEADER_SIZE + Protocol.EXITED2_SIZE);
        int p = header(b, 2, Protocol.MSG_EXITED, Protocol.EXITED2_SIZE);
        b.putInt(p, waitStatus);
        b.putInt(p + 4, flags);
        b.putLong(p + 8, timeNs);
        return b;
    }
}
