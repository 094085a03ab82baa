package dev.paternoster.server;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paternoster.engine.TokenEvent;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Encodes one stream's token events as server-sent events ({@code data: {...}\n\n}), byte for byte
 * what serializing {@link ResponseFormat#chunk} gives.
 *
 * <p>Almost every event is a token's text and nothing else, and its chunk differs from the previous
 * one only in that text. So the chunk is serialized once per choice with a marker for the text
 * ({@link ResponseFormat#textChunk}), and each token costs an escape of its text and one array
 * copy: no JSON tree and no serializer per token. Other events (the last of a choice,
 * log-probabilities) go through {@link ResponseFormat#chunk}.
 *
 * <p>Used by the stream's handler thread only.
 */
final class ChunkEncoder {
  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
  /** Private-use characters: Jackson writes them as plain UTF-8, and no model text is asked to hold them here. */
  private static final String MARK = "\uE000\uF8FF\uE000";
  private static final byte[] MARK_UTF8 = MARK.getBytes(StandardCharsets.UTF_8);
  private static final byte[][] NO_TEMPLATE = new byte[0][];

  private final ResponseFormat format;
  /** Per choice: {"data: " + JSON before the text, JSON after the text + "\n\n"}, NO_TEMPLATE, or null (not built yet). */
  private byte[][][] templates = new byte[1][][];

  ChunkEncoder(ResponseFormat format) {
    this.format = format;
  }

  /** The whole event for {@code e}, or null when it carries nothing to send. */
  byte[] encode(TokenEvent e) {
    if (!e.isFinal()) {
      byte[][] t = template(e.choiceIndex());
      if (t != NO_TEMPLATE) {
        if (e.textDelta().isEmpty()) return null; // as chunk(): a held-back token sends nothing
        byte[] text = escape(e.textDelta());
        if (text == null) return frame(Json.bytes(format.chunk(e)));
        byte[] out = new byte[t[0].length + text.length + t[1].length];
        System.arraycopy(t[0], 0, out, 0, t[0].length);
        System.arraycopy(text, 0, out, t[0].length, text.length);
        System.arraycopy(t[1], 0, out, t[0].length + text.length, t[1].length);
        return out;
      }
    }
    ObjectNode chunk = format.chunk(e);
    return chunk == null ? null : frame(Json.bytes(chunk));
  }

  /**
   * The JSON string content of {@code text} (no quotes), or null for text with surrogates: Jackson's
   * generator writes each half of a pair as an escape of its own (unpaired ones too), which its
   * string encoder does not reproduce; such text takes the serializer.
   */
  private static byte[] escape(String text) {
    for (int i = 0; i < text.length(); i++) if (Character.isSurrogate(text.charAt(i))) return null;
    return JsonStringEncoder.getInstance().quoteAsUTF8(text);
  }

  /** {@code data: <json>\n\n} */
  static byte[] frame(byte[] json) {
    byte[] out = new byte[DATA.length + json.length + END.length];
    System.arraycopy(DATA, 0, out, 0, DATA.length);
    System.arraycopy(json, 0, out, DATA.length, json.length);
    System.arraycopy(END, 0, out, DATA.length + json.length, END.length);
    return out;
  }

  private byte[][] template(int choice) {
    if (choice >= templates.length) templates = Arrays.copyOf(templates, Math.max(choice + 1, templates.length * 2));
    byte[][] t = templates[choice];
    if (t == null) templates[choice] = t = build(choice);
    return t;
  }

  private byte[][] build(int choice) {
    ObjectNode chunk = format.textChunk(choice, MARK);
    if (chunk == null) return NO_TEMPLATE;
    byte[] json = frame(Json.bytes(chunk));
    int at = indexOf(json, MARK_UTF8, 0);
    if (at < 0 || indexOf(json, MARK_UTF8, at + 1) >= 0) return NO_TEMPLATE;
    return new byte[][] {Arrays.copyOfRange(json, 0, at), Arrays.copyOfRange(json, at + MARK_UTF8.length, json.length)};
  }

  private static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = from; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }
}
