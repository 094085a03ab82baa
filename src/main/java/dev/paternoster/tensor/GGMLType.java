package dev.paternoster.tensor;

/**
 * Tensor element types as numbered in GGUF files (ggml's {@code ggml_type}).
 *
 * <p>Quantized types store {@link #blockSize} weights in {@link #blockBytes} bytes. Only the
 * types with {@code supported = true} have kernels; the others are known so that an unsupported
 * file is refused by name rather than as "unknown".
 */
public enum GGMLType {
  F32(0, 1, 4, true),
  F16(1, 1, 2, true),
  Q4_0(2, 32, 18, true),
  Q4_1(3, 32, 20, false),
  Q5_0(6, 32, 22, false),
  Q5_1(7, 32, 24, false),
  Q8_0(8, 32, 34, true),
  Q8_1(9, 32, 36, false),
  Q2_K(10, 256, 84, false),
  Q3_K(11, 256, 110, false),
  Q4_K(12, 256, 144, true),
  Q5_K(13, 256, 176, true),
  Q6_K(14, 256, 210, true),
  Q8_K(15, 256, 292, false),
  IQ2_XXS(16, 256, 66, false),
  IQ2_XS(17, 256, 74, false),
  IQ3_XXS(18, 256, 98, false),
  IQ1_S(19, 256, 50, false),
  IQ4_NL(20, 32, 18, false),
  IQ3_S(21, 256, 110, false),
  IQ2_S(22, 256, 82, false),
  IQ4_XS(23, 256, 136, false),
  I8(24, 1, 1, false),
  I16(25, 1, 2, false),
  I32(26, 1, 4, false),
  I64(27, 1, 8, false),
  F64(28, 1, 8, false),
  IQ1_M(29, 256, 56, false),
  BF16(30, 1, 2, true);

  public final int id;
  public final int blockSize;
  public final int blockBytes;
  public final boolean supported;

  GGMLType(int id, int blockSize, int blockBytes, boolean supported) {
    this.id = id;
    this.blockSize = blockSize;
    this.blockBytes = blockBytes;
    this.supported = supported;
  }

  private static final GGMLType[] BY_ID = new GGMLType[64];

  static {
    for (GGMLType t : values()) BY_ID[t.id] = t;
  }

  /** The type with this GGUF id, or null when the id is unknown. */
  public static GGMLType byId(int id) {
    return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
  }

  /** Bytes taken by {@code elements} weights; elements must be a multiple of the block size. */
  public long bytesFor(long elements) {
    if (elements % blockSize != 0) {
      throw new IllegalArgumentException(
          this + " stores blocks of " + blockSize + " values; " + elements + " is not a multiple");
    }
    return Math.multiplyExact(elements / blockSize, (long) blockBytes);
  }
}
