package dev.paternoster.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * llama.cpp's {@code ggml_vec_dot_q4_0_q8_0} order on {@link Interleaved}'s layout, for the Q4_0
 * matrices llama.cpp does not repack (the token embedding, which doubles as the output matrix of
 * tied models, and matrices whose row count is not a multiple of 8), bit for bit as
 * {@link QuantDot} computes it.
 *
 * <p>That order keeps eight float chains per row and token: chain m takes, block after block,
 * {@code fma(d_w*d_a, isum_m, chain_m)}, where {@code isum_m} is the exact integer sum over quants
 * 4m..4m+3; the result is {@code ((l0+l4)+(l2+l6))+((l1+l5)+(l3+l7))}. With 32 rows in the lanes,
 * each {@code isum_m} (at most {@code 4 * 8 * 127} in magnitude) is formed in shorts by four
 * multiply-adds with a broadcast activation quant, then widened to floats for its chain. One pass
 * over a group's blocks serves the chains m and m+4 (the low and high nibbles of the same bytes),
 * so that the chains of two tokens fit the registers; the group's weights stay in L1 between the
 * four passes, and the chains wait in a scratch array for the final sum.
 */
final class InterleavedQ4Chains {
  private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
  private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final int ROWS = Interleaved.ROWS;
  /** Bytes of a block's 32 float scales. */
  private static final int SCALES = Interleaved.SCALES;
  /** Quant bytes of a block that one pass reads: chunks 4c..4c+3. */
  static final int PASS_BYTES = 4 * ROWS;
  /** Tokens per tile. */
  static final int TILE = 2;
  /** Scratch floats per tile: 8 chains x 32 rows per token. */
  static final int CHAIN_FLOATS = 8 * ROWS * TILE;

  private InterleavedQ4Chains() {}

  /** One token: {@code buf[0..32)} = the group's 32 row sums. */
  static void tile1(MemorySegment m, long base, int blocks, short[] qs, int qo, int qStride, float[] ad, int bo, float[] lanes, float[] buf) {
    for (int c = 0; c < 4; c++) {
      FloatVector a0 = FloatVector.zero(F), b0 = FloatVector.zero(F), e0 = FloatVector.zero(F), f0 = FloatVector.zero(F);
      // pass 0's chunks follow each block's scales; later passes' chunks come after them, pass by pass
      long s = base, q = c == 0 ? base + SCALES : base + (long) blocks * (SCALES + PASS_BYTES) + (long) (c - 1) * blocks * PASS_BYTES;
      long qStep = c == 0 ? SCALES + PASS_BYTES : PASS_BYTES;
      for (int b = 0; b < blocks; b++, s += SCALES + PASS_BYTES, q += qStep) {
        FloatVector dw0 = FloatVector.fromMemorySegment(F, m, s, LE), dw1 = FloatVector.fromMemorySegment(F, m, s + 64, LE);
        ShortVector s0 = ShortVector.zero(S), h0 = ShortVector.zero(S);
        int e = 32 * b + 4 * c;
        for (int k = 0; k < 4; k++, e++) {
          ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, q + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
          ShortVector lo = w.and((short) 15).sub((short) 8), hi = w.lanewise(VectorOperators.ASHR, 4).and((short) 15).sub((short) 8);
          s0 = s0.add(lo.mul(qs[qo + e]));
          h0 = h0.add(hi.mul(qs[qo + e + 16]));
        }
        float x0 = ad[bo + b];
        IntVector i0 = s0.reinterpretAsInts(), j0 = h0.reinterpretAsInts();
        FloatVector d00 = dw0.mul(x0), d01 = dw1.mul(x0);
        a0 = ((FloatVector) i0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d00, a0);
        b0 = ((FloatVector) i0.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d01, b0);
        e0 = ((FloatVector) j0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d00, e0);
        f0 = ((FloatVector) j0.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d01, f0);
      }
      // chain m of token t at lanes[256 t + 32 m ..]: rows 0..15, then rows 16..31
      a0.intoArray(lanes, 32 * c);
      b0.intoArray(lanes, 32 * c + 16);
      e0.intoArray(lanes, 32 * (c + 4));
      f0.intoArray(lanes, 32 * (c + 4) + 16);
    }
    hsum8(lanes, 0, buf, 0);
  }


  /** Two tokens (token i's activations at {@code qo + i*qStride}): {@code buf[32i..32i+32)}. */
  static void tile2(MemorySegment m, long base, int blocks, short[] qs, int qo, int qStride, float[] ad, int bo, float[] lanes, float[] buf) {
    for (int c = 0; c < 4; c++) {
      FloatVector a0 = FloatVector.zero(F), b0 = FloatVector.zero(F), e0 = FloatVector.zero(F), f0 = FloatVector.zero(F), a1 = FloatVector.zero(F), b1 = FloatVector.zero(F), e1 = FloatVector.zero(F), f1 = FloatVector.zero(F);
      // pass 0's chunks follow each block's scales; later passes' chunks come after them, pass by pass
      long s = base, q = c == 0 ? base + SCALES : base + (long) blocks * (SCALES + PASS_BYTES) + (long) (c - 1) * blocks * PASS_BYTES;
      long qStep = c == 0 ? SCALES + PASS_BYTES : PASS_BYTES;
      for (int b = 0; b < blocks; b++, s += SCALES + PASS_BYTES, q += qStep) {
        FloatVector dw0 = FloatVector.fromMemorySegment(F, m, s, LE), dw1 = FloatVector.fromMemorySegment(F, m, s + 64, LE);
        ShortVector s0 = ShortVector.zero(S), h0 = ShortVector.zero(S), s1 = ShortVector.zero(S), h1 = ShortVector.zero(S);
        int e = 32 * b + 4 * c;
        for (int k = 0; k < 4; k++, e++) {
          ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, q + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
          ShortVector lo = w.and((short) 15).sub((short) 8), hi = w.lanewise(VectorOperators.ASHR, 4).and((short) 15).sub((short) 8);
          s0 = s0.add(lo.mul(qs[qo + e]));
          h0 = h0.add(hi.mul(qs[qo + e + 16]));
          s1 = s1.add(lo.mul(qs[qo + qStride + e]));
          h1 = h1.add(hi.mul(qs[qo + qStride + e + 16]));
        }
        float x0 = ad[bo + b];
        IntVector i0 = s0.reinterpretAsInts(), j0 = h0.reinterpretAsInts();
        FloatVector d00 = dw0.mul(x0), d01 = dw1.mul(x0);
        a0 = ((FloatVector) i0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d00, a0);
        b0 = ((FloatVector) i0.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d01, b0);
        e0 = ((FloatVector) j0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d00, e0);
        f0 = ((FloatVector) j0.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d01, f0);
        float x1 = ad[bo + blocks + b];
        IntVector i1 = s1.reinterpretAsInts(), j1 = h1.reinterpretAsInts();
        FloatVector d10 = dw0.mul(x1), d11 = dw1.mul(x1);
        a1 = ((FloatVector) i1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d10, a1);
        b1 = ((FloatVector) i1.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d11, b1);
        e1 = ((FloatVector) j1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d10, e1);
        f1 = ((FloatVector) j1.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d11, f1);
      }
      // chain m of token t at lanes[256 t + 32 m ..]: rows 0..15, then rows 16..31
      a0.intoArray(lanes, 32 * c);
      b0.intoArray(lanes, 32 * c + 16);
      e0.intoArray(lanes, 32 * (c + 4));
      f0.intoArray(lanes, 32 * (c + 4) + 16);
      a1.intoArray(lanes, 256 + 32 * c);
      b1.intoArray(lanes, 256 + 32 * c + 16);
      e1.intoArray(lanes, 256 + 32 * (c + 4));
      f1.intoArray(lanes, 256 + 32 * (c + 4) + 16);
    }
    for (int t = 0; t < 2; t++) hsum8(lanes, 256 * t, buf, 32 * t);
  }


  /** llama.cpp's hsum_float_8 of one token's chains, for rows 0..15 and 16..31. */
  static void hsum8(float[] lanes, int o, float[] buf, int bo) {
    for (int h = 0; h < 32; h += 16) {
      int q = o + h;
      FloatVector a = FloatVector.fromArray(F, lanes, q).add(FloatVector.fromArray(F, lanes, q + 128))
          .add(FloatVector.fromArray(F, lanes, q + 64).add(FloatVector.fromArray(F, lanes, q + 192)));
      FloatVector z = FloatVector.fromArray(F, lanes, q + 32).add(FloatVector.fromArray(F, lanes, q + 160))
          .add(FloatVector.fromArray(F, lanes, q + 96).add(FloatVector.fromArray(F, lanes, q + 224)));
      a.add(z).intoArray(buf, bo + h);
    }
  }
}
