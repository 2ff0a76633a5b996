package io.github.dragganjvm.app.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One HTTP/1.1 connection on a plain socket, for what java.net.http will not do: declare a body and stall, trickle
 * it byte by byte, or send chunks by hand. Reads one response, or tells when the server closed the connection.
 */
final class RawHttp implements AutoCloseable {
    /** A response: status, the raw head, the body as text. */
    record Response(int status, String head, String body) {}

    private final Socket sock;
    private final OutputStream out;
    private final InputStream in;
    private final int port;

    RawHttp(int port) throws IOException {
        this.port = port;
        this.sock = new Socket("127.0.0.1", port);
        sock.setSoTimeout(20_000);
        this.out = sock.getOutputStream();
        this.in = sock.getInputStream();
    }

    /** Sends the request line and headers (Host added; each extra header "Name: value"). */
    RawHttp head(String method, String path, String... headers) throws IOException {
        StringBuilder sb = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n");
        for (String h : headers) sb.append(h).append("\r\n");
        out.write(sb.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return this;
    }

    /** Sends bytes; false when the server had already closed the connection. */
    boolean write(byte[] b) {
        try {
            out.write(b);
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends one chunk of a chunked body (an empty one ends the body). */
    boolean chunk(byte[] b) {
        byte[] head = (Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + b.length + 2];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(b, 0, all, head.length, b.length);
        all[all.length - 2] = '\r';
        all[all.length - 1] = '\n';
        return write(all);
    }

    /** Reads one response (head, then Content-Length bytes of body); null when the connection ended before a status line. */
    Response response() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int c, matched = 0;
        try {
            while (matched < 4 && (c = in.read()) >= 0) {
                head.write(c);
                matched = (c == "\r\n\r\n".charAt(matched)) ? matched + 1 : (c == '\r' ? 1 : 0);
            }
        } catch (SocketException e) {        // reset by the server
            return null;
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        if (matched < 4) return null;
        int status = Integer.parseInt(h.substring(9, 12));
        int len = 0;
        for (String line : h.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) len = Integer.parseInt(line.substring(15).trim());
        }
        byte[] body = in.readNBytes(len);
        return new Response(status, h, new String(body, StandardCharsets.UTF_8));
    }

    /** Milliseconds until the server closes the connection (end of stream or reset), reading and dropping what comes. */
    long millisUntilClosed() throws IOException {
        long t0 = System.nanoTime();
        try {
            byte[] buf = new byte[4096];
            while (in.read(buf) >= 0) {
                // drop
            }
        } catch (SocketException e) {
            // reset: closed as well
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Override public void close() throws IOException { sock.close(); }
}
