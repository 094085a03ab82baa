package dev.paternoster.tokenizer;

/**
 * GPT-2's reversible byte ↔ character table. Byte-level BPE vocabularies store every token as a
 * string of these characters, one per byte: printable Latin-1 bytes stand for themselves and the
 * other 68 bytes (controls, space, 0x7F-0xA0, 0xAD) are moved to U+0100.., so that no token text
 * contains whitespace or control characters ({@code Ġ} = space, {@code Ċ} = newline).
 */
public final class ByteUnicode {
  private static final char[] BYTE_TO_CHAR = new char[256];
  private static final int[] CHAR_TO_BYTE = new int[512];

  static {
    java.util.Arrays.fill(CHAR_TO_BYTE, -1);
    int shifted = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char c = printable ? (char) b : (char) (256 + shifted++);
      BYTE_TO_CHAR[b] = c;
      CHAR_TO_BYTE[c] = b;
    }
  }

  private ByteUnicode() {}

  /** The character that stands for {@code b} (0..255, or a signed byte). */
  public static char encode(int b) {
    return BYTE_TO_CHAR[b & 0xFF];
  }

  /** The byte {@code c} stands for, or -1 when {@code c} is not in the table. */
  public static int decode(char c) {
    return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
  }

  /** Every byte of {@code utf8} as its table character. */
  public static String encode(byte[] utf8) {
    char[] out = new char[utf8.length];
    for (int i = 0; i < utf8.length; i++) out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
    return new String(out);
  }
}
