package dev.paternoster.tokenizer;

import java.util.Arrays;

/**
 * Turns generated token ids, one at a time, into text deltas for streaming. A token can end in the
 * middle of a UTF-8 character (byte-fallback tokens, byte-level BPE pieces of an emoji), so the
 * bytes of an unfinished character are held back until the tokens that complete it arrive;
 * bytes that can never form a character become U+FFFD at once.
 *
 * <p>The deltas concatenate to exactly the tokens' bytes decoded as UTF-8: no leading space is
 * removed and control tokens add nothing, which is what llama-server streams. One instance per
 * stream; not thread-safe.
 */
public final class StreamingDecoder {
  private final Tokenizer tokenizer;
  private byte[] pending = new byte[8];
  private int pendingLength;

  public StreamingDecoder(Tokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /** Adds token {@code id}; returns the text it completes, possibly empty. */
  public String accept(int id) {
    byte[] piece = tokenizer.tokenBytes(id);
    if (piece.length == 0) return "";
    if (pendingLength + piece.length > pending.length) {
      pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + piece.length));
    }
    System.arraycopy(piece, 0, pending, pendingLength, piece.length);
    pendingLength += piece.length;
    int ready = pendingLength - Utf8.incompleteTail(pending, pendingLength);
    if (ready == 0) return "";
    String text = Utf8.decode(pending, 0, ready);
    System.arraycopy(pending, ready, pending, 0, pendingLength - ready);
    pendingLength -= ready;
    return text;
  }

  /** True while the start of a character is held back. */
  public boolean hasPendingBytes() {
    return pendingLength > 0;
  }

  /** Ends the stream: a character left unfinished becomes U+FFFD. Returns "" when nothing is pending. */
  public String finish() {
    if (pendingLength == 0) return "";
    String text = Utf8.decode(pending, 0, pendingLength);
    pendingLength = 0;
    return text;
  }
}
