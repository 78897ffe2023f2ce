package io.jshim.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Protocol version 2: HELLO (struct jshim_hello2 + 5 strings), EXITED (struct jshim_exited2), REOPEN_LOG. */
@Tag("unit")
class MessagesV2Test {
    private static final int ALL = Protocol.HELLO_STDIN | Protocol.HELLO_STDIN_ONCE | Protocol.HELLO_LOG_FILE
            | Protocol.HELLO_ATTACH | Protocol.HELLO_LOG_JOURNALD;
    private static final int STRINGS = Protocol.HEADER_SIZE + Protocol.HELLO2_SIZE;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Hello hello(int flags, int attachFormat, int nfds, String logName, String exitName) {
        return Hello.v2(flags, Protocol.STATE_RUNNING, 42, 43, 0, 0, 0, 0x1234_5678_9abc_def0L, 0,
                Protocol.LOG_K8S_FILE, Protocol.EXIT_CONMON_CODE, attachFormat, nfds, "c1", "name", b(logName),
                b(exitName), "tag");
    }

    private static Hello good() {
        return hello(ALL, Protocol.ATTACH_CONMON, 10, "ctr.log", "c1");
    }

    private static Hello decode(Hello h) throws ProtocolException {
        ByteBuffer b = Messages.hello(h);
        return Messages.decodeHello(b, 0, b.limit(), h.nfds());
    }

    private static void rejected(Hello h, String why) {
        ByteBuffer b = Messages.hello(h);
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Messages.decodeHello(b, 0, b.limit(), h.nfds()), why);
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
    }

    private static void rejected(ByteBuffer b, int nfds, String why) {
        assertThrows(ProtocolException.class, () -> Messages.decodeHello(b, 0, b.limit(), nfds), why);
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocateDirect(b.limit()).order(ByteOrder.nativeOrder());
        c.put(0, b, 0, b.limit());
        return c;
    }

    @Test
    void roundTripWithEveryFd() throws Exception {
        Hello h = Hello.v2(ALL, Protocol.STATE_EXITED, 42, 43, 137 << 8, Protocol.EXIT_TIMED_OUT,
                1_700_000_000_123_456_789L, -5L, 1 << 20, Protocol.LOG_K8S_FILE, Protocol.EXIT_CONMON_CODE,
                Protocol.ATTACH_CONMON, 10, "c1", "", b("ctr.log"), b("c1"), "").withLogGlobalSizeMax(16L << 20);
        ByteBuffer enc = Messages.hello(h);
        assertEquals(Protocol.HEADER_SIZE + Protocol.HELLO2_SIZE + 5 * 2 + 2 + 7 + 2, enc.limit());
        assertEquals(16L << 20, enc.getLong(Protocol.HEADER_SIZE + 64)); // the last field of struct jshim_hello2
        Hello d = decode(h);
        assertEquals(h, d);
        assertEquals(16L << 20, d.logGlobalSizeMax());
        assertEquals(2, d.version());
        assertEquals(-5L, d.sessionId());
        assertTrue(d.exited() && d.hasStdin() && d.stdinOnce() && d.hasLogFile() && d.hasAttach());
        assertEquals(Protocol.FD_EXIT_DIR, d.exitDirFd());
        assertEquals(6, d.stdinFd());
        assertEquals(7, d.logDirFd());
        assertEquals(8, d.attachFd());
        assertEquals(9, d.journaldFd());
    }

    @Test
    void optionalFdsFollowTheFlags() throws Exception {
        Hello min = decode(hello(0, 0, 6, "", "c1"));
        assertEquals(-1, min.stdinFd());
        assertEquals(-1, min.logDirFd());
        assertEquals(-1, min.attachFd());
        assertEquals(-1, min.journaldFd());
        assertTrue(!min.hasLogFile() && !min.hasAttach());
        Hello attachOnly = decode(hello(Protocol.HELLO_ATTACH, Protocol.ATTACH_SHIMMY, 7, "", "c1"));
        assertEquals(6, attachOnly.attachFd());
        Hello logAndJournald = decode(hello(Protocol.HELLO_LOG_FILE | Protocol.HELLO_LOG_JOURNALD, 0, 8, "l", "c1"));
        assertEquals(6, logAndJournald.logDirFd());
        assertEquals(7, logAndJournald.journaldFd());
        Hello stdinAttach = decode(hello(Protocol.HELLO_STDIN | Protocol.HELLO_ATTACH, Protocol.ATTACH_CONMON, 8, "",
                "c1"));
        assertEquals(6, stdinAttach.stdinFd());
        assertEquals(7, stdinAttach.attachFd());
        Hello noSync = decode(hello(Protocol.HELLO_LOG_FILE | Protocol.HELLO_NO_SYNC_LOG, 0, 7, "l", "c1"));
        assertTrue(noSync.hasFlag(Protocol.HELLO_NO_SYNC_LOG), "--no-sync-log carries no fd");
        assertEquals(6, noSync.logDirFd());
    }

    @Test
    void namesAreBytesAndTheIdIsDecodedLeniently() throws Exception {
        byte[] latin1 = {'l', (byte) 0xE9, '.', 'l', 'o', 'g'}; // not UTF-8: kept as it is
        Hello h = Hello.v2(Protocol.HELLO_LOG_FILE, 0, 42, 43, 0, 0, 0, 7, 0, Protocol.LOG_SHIMMY,
                Protocol.EXIT_SHIMMY_JSON, 0, 7, "c1", "", latin1, b("..."), "");
        Hello d = decode(h);
        assertArrayEquals(latin1, d.logName());
        assertArrayEquals(b("..."), d.exitName());
        ByteBuffer bad = copy(Messages.hello(h));
        bad.put(STRINGS + 2, (byte) 0xFF); // first byte of the container id
        Hello lenient = Messages.decodeHello(bad, 0, bad.limit(), 7);
        assertEquals("\uFFFD1", lenient.containerId());
    }

    @Test
    void logSizeMaxBeyondAFileIsNever() throws Exception {
        Hello h = Hello.v2(0, 0, 42, 43, 0, 0, 0, 7, -1L, Protocol.LOG_K8S_FILE, Protocol.EXIT_CONMON_CODE, 0, 6,
                "c1", "", null, b("c1"), "");
        assertEquals(Long.MAX_VALUE, decode(h).logSizeMax());
        assertEquals(0, decode(h).logGlobalSizeMax());
        assertEquals(0, decode(h.withLogGlobalSizeMax(-1L)).logGlobalSizeMax(), "a u64 past 2^63: no cap");
    }

    @Test
    void fdCountsMustMatch() {
        rejected(hello(ALL, Protocol.ATTACH_CONMON, 9, "l", "c1"), "declared 9, flags want 10");
        ByteBuffer b = Messages.hello(good());
        rejected(b, 9, "declared 10, packet carries 9");
        rejected(b, 11, "declared 10, packet carries 11");
        rejected(hello(0, 0, 5, "", "c1"), "v1's 5 fds");
    }

    @Test
    void unknownFlagsStateAndFormatsAreRejected() {
        rejected(hello(1 << 5, 0, 6, "", "c1"), "unknown HELLO flag");
        rejected(hello(1 << 7, 0, 6, "", "c1"), "unknown HELLO flag");
        rejected(hello(Protocol.HELLO_NO_SYNC_LOG, 0, 6, "", "c1"), "--no-sync-log without a log file");
        Hello state = Hello.v2(0, 2, 42, 43, 0, 0, 0, 7, 0, 1, 1, 0, 6, "c1", "", null, b("e"), "");
        rejected(state, "state 2");
        Hello exitFlags = Hello.v2(0, 1, 42, 43, 0, 2, 0, 7, 0, 1, 1, 0, 6, "c1", "", null, b("e"), "");
        rejected(exitFlags, "exit flag 2");
        for (int f : new int[] {0, 3, -1}) {
            rejected(Hello.v2(0, 0, 42, 43, 0, 0, 0, 7, 0, f, 1, 0, 6, "c1", "", null, b("e"), ""), "log format " + f);
            rejected(Hello.v2(0, 0, 42, 43, 0, 0, 0, 7, 0, 1, f, 0, 6, "c1", "", null, b("e"), ""), "exit format " + f);
            rejected(hello(Protocol.HELLO_ATTACH, f, 7, "", "c1"), "attach format " + f);
        }
        rejected(hello(0, Protocol.ATTACH_SHIMMY, 6, "", "c1"), "attach format without the flag");
        rejected(Hello.v2(0, 0, 0, 43, 0, 0, 0, 7, 0, 1, 1, 0, 6, "c1", "", null, b("e"), ""), "launcher pid 0");
        rejected(Hello.v2(0, 0, 42, 43, 0, 0, 0, 0, 0, 1, 1, 0, 6, "c1", "", null, b("e"), ""), "session id 0");
    }

    @Test
    void badNamesAreRejected() {
        for (String bad : new String[] {"", ".", "..", "a/b", "/abs", "dir/"}) {
            rejected(hello(Protocol.HELLO_LOG_FILE, 0, 7, bad, "c1"), "log name '" + bad + "'");
            rejected(hello(0, 0, 6, "", bad), "exit name '" + bad + "'");
        }
        rejected(hello(0, 0, 6, "ctr.log", "c1"), "a log name without JSHIM_HELLO_LOG_FILE");
        rejected(Hello.v2(0, 0, 42, 43, 0, 0, 0, 7, 0, 1, 1, 0, 6, "", "", null, b("e"), ""), "empty container id");
    }

    @Test
    void nulAndBadLengthsAreRejected() {
        ByteBuffer good = Messages.hello(good());
        for (int i = 0; i < Protocol.HELLO2_NSTRINGS; i++) {
            // string i starts after the earlier ones: walk the lengths
            int p = STRINGS;
            for (int k = 0; k < i; k++) {
                p += 2 + Short.toUnsignedInt(good.duplicate().order(ByteOrder.nativeOrder()).getShort(p));
            }
            ByteBuffer nul = copy(good);
            nul.put(p + 2, (byte) 0);
            rejected(nul, 10, "NUL in string " + i);
            ByteBuffer tooLong = copy(good);
            tooLong.putShort(p, (short) 60000);
            rejected(tooLong, 10, "length past the packet in string " + i);
        }
        ByteBuffer trailing = ByteBuffer.allocateDirect(good.limit() + 1).order(ByteOrder.nativeOrder());
        trailing.put(0, good, 0, good.limit());
        trailing.putInt(4, good.limit() + 1 - 8);
        rejected(trailing, 10, "trailing byte");
        for (int len : new int[] {8, 9, STRINGS - 1, STRINGS, STRINGS + 1, good.limit() - 1}) {
            ByteBuffer cut = copy(good);
            cut.putInt(4, len - 8);
            ByteBuffer c = cut;
            int l = len;
            assertThrows(ProtocolException.class, () -> Messages.decodeHello(c, 0, l, 10), "cut at " + len);
        }
    }

    @Test
    void messageTypesPerVersion() throws Exception {
        ByteBuffer reopen = Messages.reopenLog();
        assertEquals(Protocol.MSG_REOPEN_LOG, Messages.decodeType(reopen, 0, reopen.limit()));
        Messages.decodeReopenLog(reopen, 0, reopen.limit(), 0);
        assertThrows(ProtocolException.class, () -> Messages.decodeReopenLog(reopen, 0, reopen.limit(), 1));
        ByteBuffer v1 = copy(reopen);
        v1.putShort(0, (short) 1);
        assertThrows(ProtocolException.class, () -> Messages.decodeType(v1, 0, v1.limit()), "REOPEN_LOG is v2 only");
        ByteBuffer payload = ByteBuffer.allocateDirect(12).order(ByteOrder.nativeOrder());
        payload.put(0, reopen, 0, 8);
        payload.putInt(4, 4);
        assertThrows(ProtocolException.class, () -> Messages.decodeReopenLog(payload, 0, 12, 0));
        ByteBuffer unknown = copy(reopen);
        unknown.putShort(2, (short) 10);
        assertThrows(ProtocolException.class, () -> Messages.decodeType(unknown, 0, unknown.limit()));
    }

    @Test
    void attachClientMessagesCarryAToken() throws Exception {
        ByteBuffer kept = Messages.attachClient(0x8000_0001);
        assertEquals(Protocol.HEADER_SIZE + 4, kept.limit());
        assertEquals(Protocol.MSG_ATTACH_CLIENT, Messages.decodeType(kept, 0, kept.limit()));
        assertEquals(0x8000_0001, Messages.decodeToken(kept, 0, kept.limit()));
        ByteBuffer gone = Messages.attachClientGone(7);
        assertEquals(Protocol.MSG_ATTACH_CLIENT_GONE, Messages.decodeType(gone, 0, gone.limit()));
        assertEquals(7, Messages.decodeToken(gone, 0, gone.limit()));
        ByteBuffer v1 = copy(gone);
        v1.putShort(0, (short) 1);
        assertThrows(ProtocolException.class, () -> Messages.decodeType(v1, 0, v1.limit()), "v2 only");
        assertThrows(ProtocolException.class, () -> Messages.decodeToken(Messages.reopenLog(), 0, 8));
    }

    @Test
    void helloHandsOverAttachClientsLast() throws Exception {
        int flags = Protocol.HELLO_ATTACH | Protocol.HELLO_STDIN;
        Hello h = hello(flags, Protocol.ATTACH_CONMON, 8, "", "c1").withAttachClients(new int[] {3, -2});
        assertEquals(10, h.nfds());
        assertTrue(h.hasFlag(Protocol.HELLO_ATTACH_CLIENTS));
        ByteBuffer enc = Messages.hello(h);
        assertEquals(2, enc.getInt(enc.limit() - 12), "u32 count after the strings");
        assertEquals(-2, enc.getInt(enc.limit() - 4));
        Hello d = Messages.decodeHello(enc, 0, enc.limit(), 10);
        assertEquals(h, d);
        assertArrayEquals(new int[] {3, -2}, d.attachTokens());
        assertEquals(8, d.attachClientFd(0));
        assertEquals(9, d.attachClientFd(1));
        assertEquals(7, d.attachFd());
        rejected(enc, 9, "the client fds are counted");
        assertEquals(0, decode(hello(flags, Protocol.ATTACH_CONMON, 8, "", "c1")).attachClientCount());
        rejected(hello(Protocol.HELLO_STDIN, 0, 7, "", "c1").withAttachClients(new int[] {3}),
                "clients without an attach listener");
        rejected(hello(flags, Protocol.ATTACH_CONMON, 8, "", "c1").withAttachClients(new int[] {0}), "token 0");
        rejected(hello(flags, Protocol.ATTACH_CONMON, 8, "", "c1").withAttachClients(new int[] {4, 4}), "twice");
        rejected(hello(flags, Protocol.ATTACH_CONMON, 8, "", "c1").withAttachClients(
                new int[Protocol.MAX_ATTACH_CLIENTS + 1]), "too many");
        ByteBuffer zero = copy(enc); // the flag with a count of 0
        zero.putInt(zero.limit() - 12, 0);
        rejected(zero, 10, "count 0");
        ByteBuffer cut = ByteBuffer.allocateDirect(enc.limit() - 4).order(ByteOrder.nativeOrder());
        cut.put(0, enc, 0, enc.limit() - 4);
        cut.putInt(4, cut.limit() - Protocol.HEADER_SIZE);
        rejected(cut, 10, "a token short");
    }

    @Test
    void exited2() throws Exception {
        ByteBuffer b = Messages.exited2(9, Protocol.EXIT_TIMED_OUT, 1_700_000_000_000_000_001L);
        assertEquals(Protocol.HEADER_SIZE + Protocol.EXITED2_SIZE, b.limit());
        Exited e = Messages.decodeExited(b, 0, b.limit(), 0);
        assertEquals(new Exited(9, Protocol.EXIT_TIMED_OUT, 1_700_000_000_000_000_001L), e);
        assertTrue(e.timedOut());
        assertThrows(ProtocolException.class, () -> Messages.decodeExited(b, 0, b.limit(), 1), "fds");
        ByteBuffer flags = copy(b);
        flags.putInt(12, 2);
        assertThrows(ProtocolException.class, () -> Messages.decodeExited(flags, 0, flags.limit(), 0), "flags");
        ByteBuffer v1Size = copy(Messages.exited(9));
        v1Size.putShort(0, (short) 2);
        assertThrows(ProtocolException.class, () -> Messages.decodeExited(v1Size, 0, v1Size.limit(), 0), "v2 with 4 bytes");
        ByteBuffer v2AsV1 = copy(b);
        v2AsV1.putShort(0, (short) 1);
        assertThrows(ProtocolException.class, () -> Messages.decodeExited(v2AsV1, 0, v2AsV1.limit(), 0), "v1 with 16 bytes");
    }

    @Test
    void keysSeparateLaunchersOfOneContainer() {
        Hello a = new Hello(0, 0, 100, 1, 0, 1, 1, 5, "same", "/l", "/e", "/a");
        Hello b = new Hello(0, 0, 101, 1, 0, 1, 1, 5, "same", "/l", "/e", "/a");
        assertNotEquals(a.key(), b.key());
        assertEquals(a.key(), new Hello(0, 0, 100, 9, 0, 1, 1, 5, "same", "/x", "/y", "/z").key());
        Hello s1 = hello(0, 0, 6, "", "same");
        Hello s2 = Hello.v2(0, 0, 42, 43, 0, 0, 0, 99, 0, 2, 2, 0, 6, "c1", "name", null, b("same"), "tag");
        assertNotEquals(s1.key(), s2.key());
        assertNotEquals(a.key(), s1.key());
        assertEquals(-1, a.exitDirFd(), "v1 has no exit dir fd");
        assertEquals(-1, a.stdinFd(), "v1 without stdin");
        assertEquals(Protocol.FD_STDIN, new Hello(Protocol.HELLO_STDIN, 0, 1, 1, 0, 1, 1, 6, "c", "/l", "/e", "/a")
                .stdinFd());
    }
}
