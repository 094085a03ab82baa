package dev.paternoster.server;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Response ids in OpenAI's style: a prefix and random hex ({@code cmpl-...}, {@code chatcmpl-...}). */
final class Ids {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  static String next(String prefix) {
    byte[] b = new byte[12];
    RANDOM.nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }
}
