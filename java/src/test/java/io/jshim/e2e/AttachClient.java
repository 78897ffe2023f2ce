package io.jshim.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An attach client like conman's: each read is taken as one frame, byte 0 the stream type
 * (1 stdout, 2 stderr) and the rest its payload. Reads use 32 769-byte buffers as conman.
 */
final class AttachClient implements AutoCloseable {
    static final class Frame {
        final int type;
        final byte[] data;

        Frame(int type, byte[] data) {
            this.type = type;
            this.data = data;
        }

        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    private final SocketChannel ch;
    final List<Frame> frames = new ArrayList<>();
    private final ByteArrayOutputStream[] streams = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
    private boolean eof;

    AttachClient(Path socket) throws IOException {
        ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    }

    void send(String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** conman's CloseWrite(): the shim sees EOF on input. */
    void closeWrite() throws IOException {
        ch.shutdownOutput();
    }

    /** Reads one frame (blocking); false at EOF. A frame with an unknown type fails. */
    boolean readFrame() throws IOException {
        if (eof) {
            return false;
        }
        ByteBuffer b = ByteBuffer.allocate(32769);
        int n = ch.read(b);
        if (n < 0) {
            eof = true;
            return false;
        }
        if (n == 0) {
            return true;
        }
        byte[] all = new byte[n];
        b.flip();
        b.get(all);
        int type = all[0];
        if (type != 1 && type != 2) {
            throw new AssertionError("attach frame with unknown type " + type + ": " + new String(all,
                    StandardCharsets.UTF_8));
        }
        byte[] data = java.util.Arrays.copyOfRange(all, 1, n);
        if (data.length == 0) {
            throw new AssertionError("empty attach frame of type " + type);
        }
        frames.add(new Frame(type, data));
        streams[type - 1].write(data);
        return true;
    }

    /** Reads frames until stdout (type 1) contains the text, or fails at EOF. */
    void readUntilStdoutContains(String text) throws IOException {
        while (!stdout().contains(text)) {
            if (!readFrame()) {
                throw new AssertionError("attach EOF before stdout contained " + Json.quote(text)
                        + "; got stdout " + Json.quote(stdout()) + " stderr " + Json.quote(stderr()));
            }
        }
    }

    /** Reads frames until the shim closes the connection. */
    void readToEof() throws IOException {
        while (readFrame()) {
            // collect
        }
    }

    String stdout() {
        return streams[0].toString(StandardCharsets.UTF_8);
    }

    String stderr() {
        return streams[1].toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
