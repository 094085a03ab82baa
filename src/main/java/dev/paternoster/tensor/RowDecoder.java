package dev.paternoster.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Decodes a run of whole blocks of one weight row to floats. Every implementation produces
 * exactly the floats {@link Dequant#row} produces (tested bit for bit): the kernels' results then
 * do not depend on which decoder ran.
 */
interface RowDecoder {
  /**
   * Decodes values {@code [col, col + n)} of the row starting at byte {@code rowOffset} into
   * {@code dst[dstOff ..]}; {@code col} and {@code n} are multiples of the block size.
   */
  void decode(MemorySegment data, long rowOffset, int col, int n, float[] dst, int dstOff);

  /** The fastest decoder for {@code t}: a vector one where the lane count allows, else scalar. */
  static RowDecoder of(GGMLType t) {
    if (!t.supported) throw new IllegalArgumentException("no decoder for weight type " + t);
    if (!Lanes.VECTOR_DECODE) return scalar(t);
    return switch (t) {
      case F32 -> FloatDecoders::f32;
      case F16 -> FloatDecoders::f16;
      case BF16 -> FloatDecoders::bf16;
      case Q8_0 -> BlockDecoders::q8_0;
      case Q4_0 -> BlockDecoders::q4_0;
      case Q4_K -> KQuantDecoders::q4_K;
      case Q5_K -> KQuantDecoders::q5_K;
      case Q6_K -> KQuantDecoders::q6_K;
      default -> scalar(t);
    };
  }

  /** The scalar reference decoder for {@code t}. */
  static RowDecoder scalar(GGMLType t) {
    return (data, rowOffset, col, n, dst, dstOff) ->
        Dequant.row(t, data, rowOffset + t.bytesFor(col), dst, dstOff, n);
  }
}
