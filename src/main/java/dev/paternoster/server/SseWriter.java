package dev.paternoster.server;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events on a servlet response: {@code data: <json>\n\n} per event, {@code data:
 * [DONE]} at the end (OpenAI's terminator), {@code : comment} lines as keep-alives.
 *
 * <p>Every write is flushed, so a client that went away shows up as an {@link IOException} on the
 * next write; callers abort the request then.
 */
final class SseWriter {
  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

  private final OutputStream out;

  private SseWriter(OutputStream out) {
    this.out = out;
  }

  /** Sets the event-stream headers and commits them, so the client sees 200 before the first token. */
  static SseWriter open(HttpServletResponse res) throws IOException {
    res.setStatus(200);
    res.setContentType("text/event-stream");
    res.setCharacterEncoding("utf-8");
    res.setHeader("Cache-Control", "no-cache");
    res.setHeader("X-Accel-Buffering", "no"); // proxies such as nginx must not buffer the stream
    OutputStream out = res.getOutputStream();
    out.flush();
    return new SseWriter(out);
  }

  /** Queues one {@code data:} event; {@link #flush()} sends what is queued. */
  void data(JsonNode json) throws IOException {
    out.write(ChunkEncoder.frame(Json.bytes(json)));
  }

  /** Queues an event already encoded whole ({@code data: ...\n\n}, see {@link ChunkEncoder}). */
  void raw(byte[] event) throws IOException {
    out.write(event);
  }

  /** A named event ({@code event: name}), for the live view's stream. */
  void event(String name, JsonNode json) throws IOException {
    out.write(("event: " + name + "\n").getBytes(StandardCharsets.US_ASCII));
    data(json);
  }

  /** A named event whose JSON is already serialized (one update shared by many clients). */
  void event(String name, byte[] json) throws IOException {
    out.write(("event: " + name + "\n").getBytes(StandardCharsets.US_ASCII));
    out.write(DATA);
    out.write(json);
    out.write(END);
  }

  void comment(String text) throws IOException {
    out.write((": " + text + "\n\n").getBytes(StandardCharsets.UTF_8));
    flush();
  }

  /**
   * Ends the stream: {@code [DONE]}, then the response itself (closing the stream writes the final
   * chunk now, not after the handler returns), so that a shutdown waiting for this handler finds
   * the answer complete on the wire before it stops Jetty, which closes connections at once.
   */
  void done() throws IOException {
    out.write(DONE);
    out.close();
  }

  void flush() throws IOException {
    out.flush();
  }
}
