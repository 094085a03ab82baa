package dev.paternoster.engine;

import dev.paternoster.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A 64-token vocabulary for engine tests: control tokens, " a".." z", "a".."z", punctuation,
 * tokens that spell "STOP" in two halves, and the three UTF-8 byte tokens of "€".
 */
final class FakeTokenizer implements Tokenizer {
  static final int VOCAB = 64;
  static final int EOS = 0;
  static final int BOS = 1;
  static final int NEWLINE = 54;
  static final int BANG = 55;
  static final int ST = 56;
  static final int OP = 57;
  static final int EURO_1 = 58;
  static final int EURO_2 = 59;
  static final int EURO_3 = 60;
  static final int E_ACUTE = 61;
  static final int DOT = 62;
  static final int IM_END = 63;

  private static final String[] TEXT = new String[VOCAB];

  static {
    TEXT[EOS] = "<eos>";
    TEXT[BOS] = "<bos>";
    for (int i = 0; i < 26; i++) {
      TEXT[2 + i] = " " + (char) ('a' + i);
      TEXT[28 + i] = String.valueOf((char) ('a' + i));
    }
    TEXT[NEWLINE] = "\n";
    TEXT[BANG] = "!";
    TEXT[ST] = "ST";
    TEXT[OP] = "OP";
    TEXT[EURO_1] = "<0xE2>";
    TEXT[EURO_2] = "<0x82>";
    TEXT[EURO_3] = "<0xAC>";
    TEXT[E_ACUTE] = "é";
    TEXT[DOT] = ".";
    TEXT[IM_END] = "<|im_end|>";
  }

  /** " x" (with a space) for a letter. */
  static int word(char letter) {
    return 2 + (letter - 'a');
  }

  /** "x" (no space) for a letter. */
  static int letter(char letter) {
    return 28 + (letter - 'a');
  }

  @Override
  public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
    var out = new java.util.ArrayList<Integer>();
    if (addSpecial) out.add(BOS);
    int i = 0;
    while (i < text.length()) {
      int best = -1;
      int bestLen = 0;
      for (int id = 0; id < VOCAB; id++) {
        if (isSpecial(id) || TEXT[id].startsWith("<0x")) continue;
        String t = TEXT[id];
        if (t.length() > bestLen && text.startsWith(t, i)) {
          best = id;
          bestLen = t.length();
        }
      }
      if (best < 0) throw new IllegalArgumentException("cannot encode '" + text.charAt(i) + "'");
      out.add(best);
      i += bestLen;
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  @Override
  public String decode(int[] ids) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int id : ids) b.writeBytes(tokenBytes(id));
    return b.toString(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] tokenBytes(int id) {
    if (isSpecial(id)) return new byte[0];
    return switch (id) {
      case EURO_1 -> new byte[] {(byte) 0xE2};
      case EURO_2 -> new byte[] {(byte) 0x82};
      case EURO_3 -> new byte[] {(byte) 0xAC};
      default -> TEXT[id].getBytes(StandardCharsets.UTF_8);
    };
  }

  @Override
  public String tokenText(int id) {
    return TEXT[id];
  }

  @Override
  public int vocabSize() {
    return VOCAB;
  }

  @Override
  public int bosId() {
    return BOS;
  }

  @Override
  public int eosId() {
    return EOS;
  }

  @Override
  public boolean isEndOfGeneration(int id) {
    return id == EOS || id == IM_END;
  }

  @Override
  public boolean isSpecial(int id) {
    return id == EOS || id == BOS || id == IM_END;
  }

  @Override
  public boolean addsBos() {
    return true;
  }
}
