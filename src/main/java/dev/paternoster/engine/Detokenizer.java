package dev.paternoster.engine;

import dev.paternoster.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Streams token bytes into text. A token may end in the middle of a UTF-8 character (byte tokens,
 * byte-level BPE); those bytes wait until the character is complete, so no half character is ever
 * emitted as U+FFFD.
 */
final class Detokenizer {
  private final Tokenizer tokenizer;
  private byte[] pending = new byte[8];
  private int numPending;

  Detokenizer(Tokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /** Adds the token's bytes; appends every completed character to {@code text}. */
  void append(int token, StringBuilder text) {
    byte[] b = tokenizer.tokenBytes(token);
    if (b == null || b.length == 0) return;
    if (numPending + b.length > pending.length) pending = Arrays.copyOf(pending, Math.max(pending.length * 2, numPending + b.length));
    System.arraycopy(b, 0, pending, numPending, b.length);
    numPending += b.length;
    int complete = completePrefix(pending, numPending);
    if (complete > 0) {
      text.append(new String(pending, 0, complete, StandardCharsets.UTF_8));
      System.arraycopy(pending, complete, pending, 0, numPending - complete);
      numPending -= complete;
    }
  }

  /** At the end of a choice: whatever is left (an incomplete character) becomes U+FFFD. */
  void flush(StringBuilder text) {
    if (numPending > 0) text.append(new String(pending, 0, numPending, StandardCharsets.UTF_8));
    numPending = 0;
  }

  /**
   * Length of the longest prefix that does not end inside a UTF-8 character. Only a well-formed but
   * unfinished last character is held back; invalid bytes pass (and decode as U+FFFD).
   */
  static int completePrefix(byte[] b, int n) {
    // Find the start of the last character: at most 3 continuation bytes back.
    int i = n - 1;
    int back = 0;
    while (i >= 0 && back < 3 && (b[i] & 0xC0) == 0x80) {
      i--;
      back++;
    }
    if (i < 0) return n;
    int lead = b[i] & 0xFF;
    int len;
    if (lead >= 0xC0 && lead < 0xE0) len = 2;
    else if (lead >= 0xE0 && lead < 0xF0) len = 3;
    else if (lead >= 0xF0 && lead < 0xF8) len = 4;
    else len = 1; // ASCII, or an invalid lead byte that no continuation can repair
    if (len > 1 && n - i < len) return i;
    return n;
  }
}
