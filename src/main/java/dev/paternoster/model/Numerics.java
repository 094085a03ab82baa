package dev.paternoster.model;

import java.util.Locale;

/**
 * Which arithmetic the quantized matmuls and attention use. Chosen once per model (process), never
 * per batch, so either way a token's logits do not depend on what else shares its batch.
 */
public enum Numerics {
  /**
   * llama.cpp's x86 arithmetic bit for bit (integer block sums, its lane order and per-block FMA):
   * generation reproduces llama.cpp's to ~1e-4 in log-probability. Costs more vector operations
   * per weight than a plain float dot (about 6 against 4 per 64 multiply-adds).
   */
  LLAMACPP,
  /**
   * Activations rounded as llama.cpp rounds them, then Paternoster's float kernels with their own
   * fixed accumulation order, and attention in F32 in its own order (no F16 accumulator, see
   * {@code Attention}): faster, within rounding of llama.cpp (log-probabilities differ by
   * ~0.1 at worst on random-weight test models, far less on trained ones).
   */
  FAST;

  public static Numerics parse(String s) {
    return switch (s.strip().toLowerCase(Locale.ROOT)) {
      case "llamacpp", "llama.cpp", "exact" -> LLAMACPP;
      case "fast" -> FAST;
      default -> throw new IllegalArgumentException("numerics must be llamacpp or fast, got '" + s + "'");
    };
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
