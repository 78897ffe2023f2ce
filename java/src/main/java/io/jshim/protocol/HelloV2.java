package io.jshim.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Strict decoding (and, for tests, encoding) of a version 2 HELLO: struct jshim_hello2 + 5 strings. */
final class HelloV2 {
    private HelloV2() {}

    private static final int KNOWN_FLAGS = Protocol.HELLO_STDIN | Protocol.HELLO_STDIN_ONCE
            | Protocol.HELLO_LOG_FILE | Protocol.HELLO_ATTACH | Protocol.HELLO_LOG_JOURNALD
            | Protocol.HELLO_ATTACH_CLIENTS | Protocol.HELLO_NO_SYNC_LOG;
    private static final String[] STRINGS = {"container id", "name", "log name", "exit name", "log tag"};

    static Hello decode(ByteBuffer buf, int pos, int len, int nfds) throws ProtocolException {
        ByteBuffer b = buf.duplicate().order(ByteOrder.nativeOrder());
        int p = pos + Protocol.HEADER_SIZE;
        int end = pos + len;
        if (end - p < Protocol.HELLO2_SIZE) {
            throw new ProtocolException("HELLO v2 payload of " + (end - p) + " bytes is shorter than "
                    + Protocol.HELLO2_SIZE);
        }
        int flags = b.getInt(p);
        int state = b.getInt(p + 4);
        int launcherPid = b.getInt(p + 8);
        int containerPid = b.getInt(p + 12);
        int waitStatus = b.getInt(p + 16);
        int exitFlags = b.getInt(p + 20);
        long exitTimeNs = b.getLong(p + 24);
        long sessionId = b.getLong(p + 32);
        long logSizeMax = b.getLong(p + 40);
        int logFormat = b.getInt(p + 48);
        int exitFormat = b.getInt(p + 52);
        int attachFormat = b.getInt(p + 56);
        int declaredFds = b.getInt(p + 60);
        long logGlobalSizeMax = b.getLong(p + 64);
        p += Protocol.HELLO2_SIZE;
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw new ProtocolException("unknown HELLO flags 0x" + Integer.toHexString(flags));
        }
        if (state != Protocol.STATE_RUNNING && state != Protocol.STATE_EXITED) {
            throw new ProtocolException("unknown container state " + Integer.toUnsignedString(state));
        }
        if ((exitFlags & ~Protocol.EXIT_TIMED_OUT) != 0) {
            throw new ProtocolException("unknown exit flags 0x" + Integer.toHexString(exitFlags));
        }
        if (logFormat != Protocol.LOG_SHIMMY && logFormat != Protocol.LOG_K8S_FILE) {
            throw new ProtocolException("unknown log format " + Integer.toUnsignedString(logFormat));
        }
        if (exitFormat != Protocol.EXIT_SHIMMY_JSON && exitFormat != Protocol.EXIT_CONMON_CODE) {
            throw new ProtocolException("unknown exit format " + Integer.toUnsignedString(exitFormat));
        }
        if ((flags & (Protocol.HELLO_NO_SYNC_LOG | Protocol.HELLO_LOG_FILE)) == Protocol.HELLO_NO_SYNC_LOG) {
            throw new ProtocolException("JSHIM_HELLO_NO_SYNC_LOG without JSHIM_HELLO_LOG_FILE");
        }
        boolean attach = (flags & Protocol.HELLO_ATTACH) != 0;
        if (attach ? attachFormat != Protocol.ATTACH_SHIMMY && attachFormat != Protocol.ATTACH_CONMON
                : attachFormat != 0) {
            throw new ProtocolException("attach format " + Integer.toUnsignedString(attachFormat)
                    + (attach ? " is unknown" : " without JSHIM_HELLO_ATTACH"));
        }
        if (declaredFds != nfds) {
            throw new ProtocolException("HELLO says " + Integer.toUnsignedString(declaredFds)
                    + " fds, packet carries " + nfds);
        }
        if ((flags & Protocol.HELLO_ATTACH_CLIENTS) != 0 && !attach) {
            throw new ProtocolException("HELLO attach clients without JSHIM_HELLO_ATTACH");
        }
        if (launcherPid <= 0) {
            throw new ProtocolException("bad launcher pid " + launcherPid);
        }
        if (sessionId == 0) {
            throw new ProtocolException("session id 0");
        }
        if (logSizeMax < 0) {
            logSizeMax = Long.MAX_VALUE; // u64 beyond what a file can reach: never
        }
        if (logGlobalSizeMax < 0) {
            logGlobalSizeMax = 0; // u64 beyond what a log can reach: no cap
        }
        byte[][] s = new byte[Protocol.HELLO2_NSTRINGS][];
        for (int i = 0; i < s.length; i++) {
            if (end - p < 2) {
                throw new ProtocolException("HELLO " + STRINGS[i] + " is missing its length");
            }
            int n = Short.toUnsignedInt(b.getShort(p));
            p += 2;
            if (n > end - p) {
                throw new ProtocolException("HELLO " + STRINGS[i] + " has bad length " + n);
            }
            s[i] = new byte[n];
            b.get(p, s[i]);
            p += n;
            for (byte x : s[i]) {
                if (x == 0) {
                    throw new ProtocolException("HELLO " + STRINGS[i] + " contains NUL");
                }
            }
        }
        int[] tokens = null;
        if ((flags & Protocol.HELLO_ATTACH_CLIENTS) != 0) {
            tokens = tokens(b, p, end);
            p += 4 + 4 * tokens.length;
        }
        if (p != end) {
            throw new ProtocolException((end - p) + " trailing bytes after HELLO");
        }
        int expected = Hello.expectedFds(2, flags) + (tokens == null ? 0 : tokens.length);
        if (nfds != expected) {
            throw new ProtocolException("HELLO with flags 0x" + Integer.toHexString(flags) + " needs "
                    + expected + " fds, got " + nfds);
        }
        if (s[0].length == 0) {
            throw new ProtocolException("HELLO container id is empty");
        }
        if ((flags & Protocol.HELLO_LOG_FILE) != 0) {
            checkName(s[2], STRINGS[2]);
        } else if (s[2].length != 0) {
            throw new ProtocolException("HELLO log name without JSHIM_HELLO_LOG_FILE");
        }
        checkName(s[3], STRINGS[3]);
        return Hello.v2(flags, state, launcherPid, containerPid, waitStatus, exitFlags, exitTimeNs, sessionId,
                logSizeMax, logFormat, exitFormat, attachFormat, nfds, text(s[0]), text(s[1]), s[2], s[3],
                text(s[4])).withLogGlobalSizeMax(logGlobalSizeMax).withTokens(tokens);
    }

    /** u32 count (1..MAX_ATTACH_CLIENTS), then count distinct u32 tokens, none 0. */
    private static int[] tokens(ByteBuffer b, int p, int end) throws ProtocolException {
        if (end - p < 4) {
            throw new ProtocolException("HELLO attach client count is missing");
        }
        long count = Integer.toUnsignedLong(b.getInt(p));
        if (count < 1 || count > Protocol.MAX_ATTACH_CLIENTS) {
            throw new ProtocolException("HELLO hands over " + count + " attach clients (1.."
                    + Protocol.MAX_ATTACH_CLIENTS + ")");
        }
        if (end - p - 4 < 4 * count) {
            throw new ProtocolException("HELLO attach client tokens are cut short");
        }
        int[] t = new int[(int) count];
        for (int i = 0; i < t.length; i++) {
            t[i] = b.getInt(p + 4 + 4 * i);
            if (t[i] == 0) {
                throw new ProtocolException("HELLO attach client token 0");
            }
            for (int j = 0; j < i; j++) {
                if (t[j] == t[i]) {
                    throw new ProtocolException("HELLO attach client token " + Integer.toUnsignedString(t[i])
                            + " twice");
                }
            }
        }
        return t;
    }

    /** A single name component: not empty, no '/', not "." or "..". (NUL is checked already.) */
    private static void checkName(byte[] n, String what) throws ProtocolException {
        if (n.length == 0) {
            throw new ProtocolException("HELLO " + what + " is empty");
        }
        for (byte x : n) {
            if (x == '/') {
                throw new ProtocolException("HELLO " + what + " contains '/': " + text(n));
            }
        }
        if (Arrays.equals(n, new byte[] {'.'}) || Arrays.equals(n, new byte[] {'.', '.'})) {
            throw new ProtocolException("HELLO " + what + " is " + text(n));
        }
    }

    /** Lenient UTF-8 (malformed input becomes U+FFFD): for messages, never for a file name. */
    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static ByteBuffer encode(Hello h) {
        byte[][] s = {
            h.containerId().getBytes(StandardCharsets.UTF_8), h.name().getBytes(StandardCharsets.UTF_8),
            h.logName(), h.exitName(), h.logTag().getBytes(StandardCharsets.UTF_8)
        };
        int payload = Protocol.HELLO2_SIZE;
        for (byte[] x : s) {
            payload += 2 + x.length;
        }
        int[] tokens = h.attachTokens();
        boolean clients = (h.flags() & Protocol.HELLO_ATTACH_CLIENTS) != 0;
        if (clients) {
            payload += 4 + 4 * tokens.length;
        }
        ByteBuffer b = Messages.out(Protocol.HEADER_SIZE + payload);
        int p = Messages.header(b, 2, Protocol.MSG_HELLO, payload);
        b.putInt(p, h.flags());
        b.putInt(p + 4, h.state());
        b.putInt(p + 8, h.launcherPid());
        b.putInt(p + 12, h.containerPid());
        b.putInt(p + 16, h.waitStatus());
        b.putInt(p + 20, h.exitFlags());
        b.putLong(p + 24, h.exitTimeNs());
        b.putLong(p + 32, h.sessionId());
        b.putLong(p + 40, h.logSizeMax());
        b.putInt(p + 48, h.logFormat());
        b.putInt(p + 52, h.exitFormat());
        b.putInt(p + 56, h.attachFormat());
        b.putInt(p + 60, h.nfds());
        b.putLong(p + 64, h.logGlobalSizeMax());
        p += Protocol.HELLO2_SIZE;
        for (byte[] x : s) {
            b.putShort(p, (short) x.length);
            b.put(p + 2, x);
            p += 2 + x.length;
        }
        if (clients) {
            b.putInt(p, tokens.length);
            for (int i = 0; i < tokens.length; i++) {
                b.putInt(p + 4 + 4 * i, tokens[i]);
            }
        }
        return b;
    }
}
