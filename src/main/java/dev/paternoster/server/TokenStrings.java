package dev.paternoster.server;

import dev.paternoster.tokenizer.Tokenizer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * How a single token is shown in log-probability listings: its text when its bytes are whole UTF-8,
 * otherwise {@code bytes:\xe2\x80} (vLLM's spelling), and the raw bytes for chat's {@code bytes}.
 * Control tokens, which add no bytes to the text, show their vocabulary string ({@code </s>}).
 */
final class TokenStrings {
  private final Tokenizer tokenizer;

  TokenStrings(Tokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  byte[] bytes(int id) {
    byte[] b = tokenizer.tokenBytes(id);
    return b.length == 0 ? tokenizer.tokenText(id).getBytes(StandardCharsets.UTF_8) : b;
  }

  String text(int id) {
    byte[] b = tokenizer.tokenBytes(id);
    if (b.length == 0) return tokenizer.tokenText(id);
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      StringBuilder sb = new StringBuilder("bytes:");
      for (byte x : b) sb.append(String.format("\\x%02x", x & 0xff));
      return sb.toString();
    }
  }
}
