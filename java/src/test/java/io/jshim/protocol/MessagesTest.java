package io.jshim.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class MessagesTest {
    private static Hello hello(int flags, int nfds) {
        return new Hello(flags, Protocol.STATE_RUNNING, 42, 43, 0, Protocol.LOG_SHIMMY,
                Protocol.EXIT_SHIMMY_JSON, nfds, "c1", "/logs/c1.log", "/exits/c1", "/attach/c1");
    }

    private static Hello decode(ByteBuffer b, int nfds) throws ProtocolException {
        return Messages.decodeHello(b, 0, b.limit(), nfds);
    }

    @Test
    void helloRoundTrip() throws Exception {
        Hello h = hello(Protocol.HELLO_STDIN | Protocol.HELLO_STDIN_ONCE, 6);
        Hello d = decode(Messages.hello(h), 6);
        assertEquals(h, d);
        assertTrue(d.hasStdin());
        assertTrue(d.stdinOnce());
    }

    @Test
    void helloWithoutStdinHasFiveFds() throws Exception {
        assertEquals(5, decode(Messages.hello(hello(0, 5)), 5).nfds());
    }

    @Test
    void fdCountMustMatchPacketAndFlags() {
        assertThrows(ProtocolException.class, () -> decode(Messages.hello(hello(0, 5)), 4));
        assertThrows(ProtocolException.class, () -> decode(Messages.hello(hello(0, 6)), 6));
        assertThrows(ProtocolException.class, () -> decode(Messages.hello(hello(Protocol.HELLO_STDIN, 5)), 5));
        assertThrows(ProtocolException.class, () -> decode(Messages.hello(hello(1 << 5, 5)), 5));
    }

    @Test
    void shortAndTruncatedPacketsAreRejected() {
        ByteBuffer good = Messages.hello(hello(0, 5));
        for (int len : new int[] {0, 4, 7, 8, 20, 39, 40, good.limit() - 1}) {
            ByteBuffer b = good.duplicate().order(ByteOrder.nativeOrder());
            int l = len;
            assertThrows(ProtocolException.class, () -> Messages.decodeHello(b, 0, l, 5), "len " + len);
        }
        // a consistent header but a truncated payload
        ByteBuffer b = copy(good);
        b.putInt(4, b.limit() - 8 - 3);
        assertThrows(ProtocolException.class, () -> Messages.decodeHello(b, 0, b.limit() - 3, 5));
    }

    @Test
    void badHeaderFieldsAreRejected() {
        ByteBuffer v = copy(Messages.hello(hello(0, 5)));
        v.putShort(0, (short) 3);
        ProtocolException e = assertThrows(ProtocolException.class, () -> decode(v, 5));
        assertEquals("protocol version 3, this daemon speaks 1..2", e.getMessage());
        v.putShort(0, (short) 0);
        assertThrows(ProtocolException.class, () -> decode(v, 5));
        // v1 bytes relabelled as v2 are not a v2 HELLO
        ByteBuffer v2 = copy(Messages.hello(hello(0, 5)));
        v2.putShort(0, (short) 2);
        assertThrows(ProtocolException.class, () -> decode(v2, 5));
        ByteBuffer t = copy(Messages.hello(hello(0, 5)));
        t.putShort(2, (short) 99);
        assertThrows(ProtocolException.class, () -> Messages.decodeType(t, 0, t.limit()));
        ByteBuffer l = copy(Messages.hello(hello(0, 5)));
        l.putInt(4, l.getInt(4) + 1);
        assertThrows(ProtocolException.class, () -> decode(l, 5));
    }

    @Test
    void badStringsAreRejected() {
        ByteBuffer b = Messages.hello(hello(0, 5));
        int firstString = Protocol.HEADER_SIZE + Protocol.HELLO_SIZE;
        ByteBuffer tooLong = copy(b);
        tooLong.putShort(firstString, (short) 60000);
        assertThrows(ProtocolException.class, () -> decode(tooLong, 5));
        ByteBuffer empty = copy(b);
        empty.putShort(firstString, (short) 0);
        assertThrows(ProtocolException.class, () -> decode(empty, 5));
        ByteBuffer notUtf8 = copy(b);
        notUtf8.put(firstString + 2, (byte) 0xFF);
        assertThrows(ProtocolException.class, () -> decode(notUtf8, 5));
        ByteBuffer nul = copy(b);
        nul.put(firstString + 2, (byte) 0);
        assertThrows(ProtocolException.class, () -> decode(nul, 5));
        Hello relative = new Hello(0, 0, 42, 43, 0, 1, 1, 5, "c", "log", "/e", "/a");
        assertThrows(ProtocolException.class, () -> decode(Messages.hello(relative), 5));
        // trailing garbage after the four strings
        ByteBuffer trailing = ByteBuffer.allocateDirect(b.limit() + 2).order(ByteOrder.nativeOrder());
        trailing.put(0, b, 0, b.limit());
        trailing.putInt(4, b.limit() + 2 - 8);
        assertThrows(ProtocolException.class, () -> decode(trailing, 5));
    }

    @Test
    void unknownStateAndFormatsAreRejected() {
        Hello state = new Hello(0, 7, 42, 43, 0, 1, 1, 5, "c", "/l", "/e", "/a");
        assertThrows(ProtocolException.class, () -> decode(Messages.hello(state), 5));
        Hello log = new Hello(0, 0, 42, 43, 0, 2, 1, 5, "c", "/l", "/e", "/a");
        assertThrows(ProtocolException.class, () -> decode(Messages.hello(log), 5));
        Hello exit = new Hello(0, 0, 42, 43, 0, 1, 2, 5, "c", "/l", "/e", "/a");
        assertThrows(ProtocolException.class, () -> decode(Messages.hello(exit), 5));
    }

    @Test
    void exited() throws Exception {
        ByteBuffer b = Messages.exited(9);
        assertEquals(Protocol.MSG_EXITED, Messages.decodeType(b, 0, b.limit()));
        assertEquals(new Exited(9, 0, 0), Messages.decodeExited(b, 0, b.limit(), 0));
        assertThrows(ProtocolException.class, () -> Messages.decodeExited(b, 0, b.limit(), 1));
        ByteBuffer longer = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        longer.put(0, b, 0, b.limit());
        longer.putInt(4, 8);
        assertThrows(ProtocolException.class, () -> Messages.decodeExited(longer, 0, 16, 0));
    }

    @Test
    void encodedReplies() {
        for (int version = 1; version <= 2; version++) {
            ByteBuffer r = Messages.ready(version).order(ByteOrder.nativeOrder());
            assertEquals(8, r.limit());
            assertEquals(version, r.getShort(0));
            assertEquals(Protocol.MSG_READY, r.getShort(2));
            assertEquals(0, r.getInt(4));
            ByteBuffer d = Messages.done(version).order(ByteOrder.nativeOrder());
            assertEquals(Protocol.MSG_DONE, d.getShort(2));
            assertEquals(version, d.getShort(0));
            ByteBuffer c = Messages.closeStdin(version).order(ByteOrder.nativeOrder());
            assertEquals(Protocol.MSG_CLOSE_STDIN, c.getShort(2));
            assertEquals(version, c.getShort(0));
            assertEquals(version, Messages.failed(version, 1, "x").order(ByteOrder.nativeOrder()).getShort(0));
        }
        ByteBuffer f = Messages.failed(1, 2, "open log /x: No such file or directory").order(ByteOrder.nativeOrder());
        assertEquals(Protocol.MSG_FAILED, f.getShort(2));
        assertEquals(f.limit() - 8, f.getInt(4));
        assertEquals(2, f.getInt(8));
        byte[] text = new byte[f.limit() - 12];
        f.get(12, text);
        assertEquals("open log /x: No such file or directory", new String(text, StandardCharsets.UTF_8));
        ByteBuffer huge = Messages.failed(2, 5, "\u00e9".repeat(40000));
        assertTrue(huge.limit() <= Protocol.MSG_MAX);
        assertEquals(0, (huge.limit() - 12) % 2); // never cut inside a UTF-8 sequence
    }

    /** The bytes a 0.1.0 launcher sends, built by hand (not by Messages.hello), still decode. */
    @Test
    void aV1HelloAsThe010LauncherSendsIt() throws Exception {
        String[] strings = {"c1", "/l/c1.log", "/e/c1", "/a/c1"};
        int payload = 32;
        for (String x : strings) {
            payload += 2 + x.length();
        }
        ByteBuffer b = ByteBuffer.allocateDirect(8 + payload).order(ByteOrder.nativeOrder());
        b.putShort((short) 1).putShort((short) 1).putInt(payload);
        b.putInt(Protocol.HELLO_STDIN).putInt(0).putInt(100).putInt(101).putInt(0).putInt(1).putInt(1).putInt(6);
        for (String x : strings) {
            b.putShort((short) x.length()).put(x.getBytes(StandardCharsets.US_ASCII));
        }
        b.flip();
        Hello h = Messages.decodeHello(b, 0, b.limit(), 6);
        assertEquals(new Hello(Protocol.HELLO_STDIN, 0, 100, 101, 0, 1, 1, 6, "c1", "/l/c1.log", "/e/c1", "/a/c1"), h);
        assertEquals(1, h.version());
        assertEquals(Protocol.FD_STDIN, h.stdinFd());
        ByteBuffer exited = ByteBuffer.allocateDirect(12).order(ByteOrder.nativeOrder());
        exited.putShort((short) 1).putShort((short) Protocol.MSG_EXITED).putInt(4).putInt(137 << 8).flip();
        assertEquals(new Exited(137 << 8, 0, 0), Messages.decodeExited(exited, 0, 12, 0));
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocateDirect(b.limit()).order(ByteOrder.nativeOrder());
        c.put(0, b, 0, b.limit());
        return c;
    }
}
