package dev.paternoster.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP/1.1 server that behaves as llama-server's does when it ends a keep-alive
 * connection: the first connection answers GETs and keeps itself open, then closes without a word
 * when a completion arrives on it. Completions on any other connection stream one SSE chunk per
 * requested token ({@code Connection: close}). With {@code dropAll}, every connection drops its
 * completions.
 */
final class DroppingServer implements AutoCloseable {
  private final ServerSocket socket;
  private final boolean dropAll;
  final AtomicInteger connections = new AtomicInteger(), dropped = new AtomicInteger(), answered = new AtomicInteger();

  DroppingServer(boolean dropAll) throws IOException {
    this.dropAll = dropAll;
    socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(this::accept);
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + socket.getLocalPort());
  }

  private void accept() {
    while (!socket.isClosed()) {
      try {
        Socket s = socket.accept();
        int n = connections.incrementAndGet();
        Thread.ofVirtual().start(() -> serve(s, dropAll || n == 1));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s, boolean dropCompletions) {
    try (s) {
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      OutputStream out = s.getOutputStream();
      while (true) {
        String requestLine = in.readLine();
        if (requestLine == null) return;
        int length = 0;
        for (String h; (h = in.readLine()) != null && !h.isEmpty(); ) {
          if (h.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(h.substring(15).strip());
        }
        char[] body = new char[length];
        for (int read = 0; read < length; ) read += in.read(body, read, length - read);
        if (requestLine.startsWith("GET /v1/models")) {
          send(out, "200 OK", "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"m\"}]}");
        } else if (requestLine.startsWith("GET ")) {
          send(out, "404 Not Found", "text/plain", "");
        } else if (dropCompletions) {
          dropped.incrementAndGet();
          return; // closed, no response
        } else {
          int tokens = Integer.parseInt(new String(body).replaceAll(".*\"max_tokens\":(\\d+).*", "$1"));
          StringBuilder sse = new StringBuilder();
          for (int i = 0; i < tokens; i++) sse.append("data: {\"choices\":[{\"index\":0,\"text\":\"x\"}]}\n\n");
          sse.append("data: {\"choices\":[],\"usage\":{\"completion_tokens\":").append(tokens).append("}}\n\n");
          sse.append("data: [DONE]\n\n");
          out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + sse)
              .getBytes(StandardCharsets.UTF_8));
          out.flush();
          answered.incrementAndGet();
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      // the client went away
    }
  }

  private static void send(OutputStream out, String status, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    out.write(("HTTP/1.1 " + status + "\r\nContent-Type: " + type + "\r\nContent-Length: " + b.length + "\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8));
    out.write(b);
    out.flush();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
