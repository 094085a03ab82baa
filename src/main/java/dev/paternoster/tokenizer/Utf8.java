package dev.paternoster.tokenizer;

import java.nio.charset.StandardCharsets;

/** UTF-8 helpers shared by encoding, decoding and streaming. */
final class Utf8 {
  private Utf8() {}

  /**
   * {@code text} with unpaired surrogates replaced by U+FFFD. A Java string can hold them but UTF-8
   * cannot; llama.cpp turns invalid input into U+FFFD, so we do the same before tokenizing instead
   * of letting {@code getBytes} write '?'.
   */
  static String withoutLoneSurrogates(String text) {
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (Character.isSurrogate(c)) {
        boolean paired = Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1));
        if (!paired) return replaceLoneSurrogates(text);
        i++;
      }
    }
    return text;
  }

  private static String replaceLoneSurrogates(String text) {
    StringBuilder sb = new StringBuilder(text.length());
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
        sb.append(c).append(text.charAt(++i));
      } else {
        sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
      }
    }
    return sb.toString();
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Decodes UTF-8; malformed sequences become U+FFFD (the JDK decoder's REPLACE action). */
  static String decode(byte[] bytes, int offset, int length) {
    return new String(bytes, offset, length, StandardCharsets.UTF_8);
  }

  /**
   * How many bytes at the end of {@code bytes[0..length)} form the start of a multi-byte character
   * that is still missing continuation bytes. Those must be held back while streaming; anything
   * else (complete or hopelessly malformed) can be decoded now.
   */
  static int incompleteTail(byte[] bytes, int length) {
    // A character is at most 4 bytes, so its lead byte is within the last 3 positions if incomplete.
    for (int back = 1; back <= Math.min(3, length); back++) {
      int b = bytes[length - back] & 0xFF;
      if ((b & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead
      int needed = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 1;
      return needed > back ? back : 0;
    }
    return 0;
  }
}
