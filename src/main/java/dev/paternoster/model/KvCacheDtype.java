package dev.paternoster.model;

import java.util.Locale;

/**
 * Element type of the KV cache (vLLM's {@code --kv-cache-dtype}, llama.cpp's {@code -ctk/-ctv}).
 *
 * <p>{@link #F16}, the default, is llama.cpp's default: keys and values stored as IEEE half floats
 * and attention computed as llama.cpp's CPU flash-attention kernel computes it (F16 dot products,
 * online softmax, F16 value accumulator), bit for bit. It takes half the memory of {@link #F32},
 * so the same budget holds twice the pages. {@link #F32} keeps full-precision keys and values.
 */
public enum KvCacheDtype {
  F16(2),
  F32(4);

  /** The default type: llama.cpp's. */
  public static final KvCacheDtype DEFAULT = F16;

  private final int bytes;

  KvCacheDtype(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per stored key or value element. */
  public int bytes() {
    return bytes;
  }

  /** Lower-case name as on the command line ({@code f16}, {@code f32}). */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code f16}/{@code float16}/{@code half} or {@code f32}/{@code float32}/{@code float} (any case). */
  public static KvCacheDtype parse(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "f16", "fp16", "float16", "half" -> F16;
      case "f32", "fp32", "float32", "float" -> F32;
      default -> throw new IllegalArgumentException("unknown KV cache dtype '" + s + "' (expected f16 or f32)");
    };
  }
}
