package dev.paternoster.reliability;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for what {@link java.net.http.HttpClient} will not do: close the
 * connection at an exact moment (after N SSE events, while queued), send invalid bytes or huge
 * headers, and read whatever the server answers to them.
 */
final class RawHttp implements AutoCloseable {
  final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  int status;
  final Map<String, String> headers = new LinkedHashMap<>();
  private boolean chunked;
  private long remaining = -1; // content-length left, or -1 = until EOF / chunked
  private long chunkLeft;
  private boolean bodyDone;

  private RawHttp(int port, int readTimeoutMillis) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(readTimeoutMillis);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  static RawHttp open(int port, int readTimeoutMillis) throws IOException {
    return new RawHttp(port, readTimeoutMillis);
  }

  /** Sends a POST with a JSON body (and any extra header lines, each ending in CRLF). */
  RawHttp post(String path, byte[] body, String extraHeaders) throws IOException {
    String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
        + body.length + "\r\n" + (extraHeaders == null ? "" : extraHeaders) + "\r\n";
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
    return this;
  }

  RawHttp post(String path, String body) throws IOException {
    return post(path, body.getBytes(StandardCharsets.UTF_8), null);
  }

  RawHttp writeRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** Reads the status line and headers (of the next response, on a kept-alive connection). */
  RawHttp readHead() throws IOException {
    status = 0;
    headers.clear();
    chunked = false;
    remaining = -1;
    chunkLeft = 0;
    bodyDone = false;
    String statusLine = line();
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("not an HTTP status line: " + statusLine);
    status = Integer.parseInt(parts[1]);
    for (String l; !(l = line()).isEmpty(); ) {
      int c = l.indexOf(':');
      if (c > 0) headers.put(l.substring(0, c).trim().toLowerCase(Locale.ROOT), l.substring(c + 1).trim());
    }
    chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
    String len = headers.get("content-length");
    if (!chunked && len != null) remaining = Long.parseLong(len);
    if (remaining == 0) bodyDone = true;
    return this;
  }

  /** Some body bytes as they arrive (decoded from chunked); null at the end of the body. */
  byte[] readSome() throws IOException {
    if (bodyDone) return null;
    if (chunked) {
      if (chunkLeft == 0) {
        String size = line();
        int semi = size.indexOf(';');
        chunkLeft = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
        if (chunkLeft == 0) {
          while (!line().isEmpty()) {} // trailers
          bodyDone = true;
          return null;
        }
      }
      byte[] buf = new byte[(int) Math.min(chunkLeft, 8192)];
      int n = in.read(buf);
      if (n < 0) throw new EOFException("connection closed inside a chunk");
      chunkLeft -= n;
      if (chunkLeft == 0) line(); // CRLF after the chunk
      return n == buf.length ? buf : java.util.Arrays.copyOf(buf, n);
    }
    byte[] buf = new byte[(int) (remaining < 0 ? 8192 : Math.min(remaining, 8192))];
    int n = in.read(buf);
    if (n < 0) {
      bodyDone = true;
      if (remaining > 0) throw new EOFException("connection closed with " + remaining + " body bytes missing");
      return null;
    }
    if (remaining > 0) {
      remaining -= n;
      if (remaining == 0) bodyDone = true;
    }
    return java.util.Arrays.copyOf(buf, n);
  }

  /** The whole response: head (if not read yet) and body. */
  String readAll() throws IOException {
    if (status == 0 || bodyDone) readHead();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] b; (b = readSome()) != null; ) body.write(b);
    return body.toString(StandardCharsets.UTF_8);
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) throw new EOFException("connection closed");
      if (c != '\r') b.write(c);
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing is all we wanted
    }
  }
}
