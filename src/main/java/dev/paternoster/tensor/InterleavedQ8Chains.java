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
 * Q8_0 on {@link Interleaved}'s layout in llama.cpp's {@code ggml_vec_dot_q8_0_q8_0} order (the
 * chains of {@link InterleavedQ4Chains}), bit for bit as {@link QuantDot} computes it.
 *
 * <p>A product of two 8-bit quants fits a short ({@code 128 * 127 = 16256}) and so does a sum of
 * two, but not the four of a chain's {@code isum_m}: two pair sums are formed in shorts, each
 * split into its rows' 32-bit halves and added there, then widened to floats for the chain. One
 * pass over a group's blocks serves chains 2c and 2c+1 (quants 8c..8c+7).
 */
final class InterleavedQ8Chains {
  private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
  private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final int ROWS = Interleaved.ROWS;
  /** Bytes of a block's 32 float scales. */
  private static final int SCALES = Interleaved.SCALES;
  /** Quant bytes of a block that one pass reads: chunks 8c..8c+7. */
  static final int PASS_BYTES = 8 * ROWS;

  private InterleavedQ8Chains() {}

  /** One token: {@code buf[0..32)} = the group's 32 row sums. */
  static void tile1(MemorySegment m, long base, int blocks, short[] qs, int qo, int qStride, float[] ad, int bo, float[] lanes, float[] buf) {
    for (int c = 0; c < 4; c++) {
      FloatVector a0 = FloatVector.zero(F), b0 = FloatVector.zero(F), e0 = FloatVector.zero(F), f0 = FloatVector.zero(F);
      // pass 0's chunks follow each block's scales; later passes' chunks come after them, pass by pass
      long s = base, q = c == 0 ? base + SCALES : base + (long) blocks * (SCALES + PASS_BYTES) + (long) (c - 1) * blocks * PASS_BYTES;
      long qStep = c == 0 ? SCALES + PASS_BYTES : PASS_BYTES;
      for (int b = 0; b < blocks; b++, s += SCALES + PASS_BYTES, q += qStep) {
        FloatVector dw0 = FloatVector.fromMemorySegment(F, m, s, LE), dw1 = FloatVector.fromMemorySegment(F, m, s + 64, LE);
        int e = 32 * b + 8 * c;
        // chain 2c: quants 8c..8c+3
        ShortVector w00 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 0 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w01 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 1 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w02 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 2 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w03 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 3 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        IntVector p00 = w00.mul(qs[qo + e]).add(w01.mul(qs[qo + e + 1])).reinterpretAsInts();
        IntVector r00 = w02.mul(qs[qo + e + 2]).add(w03.mul(qs[qo + e + 3])).reinterpretAsInts();
        float x0 = ad[bo + b];
        a0 = ((FloatVector) p00.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(r00.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
            .convert(VectorOperators.I2F, 0)).fma(dw0.mul(x0), a0);
        b0 = ((FloatVector) p00.lanewise(VectorOperators.ASHR, 16).add(r00.lanewise(VectorOperators.ASHR, 16))
            .convert(VectorOperators.I2F, 0)).fma(dw1.mul(x0), b0);
        // chain 2c+1: quants 8c+4..8c+7
        ShortVector w10 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 4 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w11 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 5 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w12 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 6 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w13 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 7 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        IntVector p01 = w10.mul(qs[qo + e + 4]).add(w11.mul(qs[qo + e + 5])).reinterpretAsInts();
        IntVector r01 = w12.mul(qs[qo + e + 6]).add(w13.mul(qs[qo + e + 7])).reinterpretAsInts();
        e0 = ((FloatVector) p01.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(r01.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
            .convert(VectorOperators.I2F, 0)).fma(dw0.mul(x0), e0);
        f0 = ((FloatVector) p01.lanewise(VectorOperators.ASHR, 16).add(r01.lanewise(VectorOperators.ASHR, 16))
            .convert(VectorOperators.I2F, 0)).fma(dw1.mul(x0), f0);
      }
      // chain m of token t at lanes[256 t + 32 m ..]: rows 0..15, then rows 16..31
      a0.intoArray(lanes, 64 * c);
      b0.intoArray(lanes, 64 * c + 16);
      e0.intoArray(lanes, 64 * c + 32);
      f0.intoArray(lanes, 64 * c + 48);
    }
    InterleavedQ4Chains.hsum8(lanes, 0, buf, 0);
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
        int e = 32 * b + 8 * c;
        // chain 2c: quants 8c..8c+3
        ShortVector w00 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 0 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w01 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 1 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w02 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 2 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w03 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 3 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        IntVector p00 = w00.mul(qs[qo + e]).add(w01.mul(qs[qo + e + 1])).reinterpretAsInts();
        IntVector r00 = w02.mul(qs[qo + e + 2]).add(w03.mul(qs[qo + e + 3])).reinterpretAsInts();
        float x0 = ad[bo + b];
        a0 = ((FloatVector) p00.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(r00.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
            .convert(VectorOperators.I2F, 0)).fma(dw0.mul(x0), a0);
        b0 = ((FloatVector) p00.lanewise(VectorOperators.ASHR, 16).add(r00.lanewise(VectorOperators.ASHR, 16))
            .convert(VectorOperators.I2F, 0)).fma(dw1.mul(x0), b0);
        IntVector p10 = w00.mul(qs[qo + qStride + e]).add(w01.mul(qs[qo + qStride + e + 1])).reinterpretAsInts();
        IntVector r10 = w02.mul(qs[qo + qStride + e + 2]).add(w03.mul(qs[qo + qStride + e + 3])).reinterpretAsInts();
        float x1 = ad[bo + blocks + b];
        a1 = ((FloatVector) p10.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(r10.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
            .convert(VectorOperators.I2F, 0)).fma(dw0.mul(x1), a1);
        b1 = ((FloatVector) p10.lanewise(VectorOperators.ASHR, 16).add(r10.lanewise(VectorOperators.ASHR, 16))
            .convert(VectorOperators.I2F, 0)).fma(dw1.mul(x1), b1);
        // chain 2c+1: quants 8c+4..8c+7
        ShortVector w10 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 4 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w11 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 5 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w12 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 6 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w13 = (ShortVector) ByteVector.fromMemorySegment(B, m, q + 7 * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        IntVector p01 = w10.mul(qs[qo + e + 4]).add(w11.mul(qs[qo + e + 5])).reinterpretAsInts();
        IntVector r01 = w12.mul(qs[qo + e + 6]).add(w13.mul(qs[qo + e + 7])).reinterpretAsInts();
        e0 = ((FloatVector) p01.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(r01.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
            .convert(VectorOperators.I2F, 0)).fma(dw0.mul(x0), e0);
        f0 = ((FloatVector) p01.lanewise(VectorOperators.ASHR, 16).add(r01.lanewise(VectorOperators.ASHR, 16))
            .convert(VectorOperators.I2F, 0)).fma(dw1.mul(x0), f0);
        IntVector p11 = w10.mul(qs[qo + qStride + e + 4]).add(w11.mul(qs[qo + qStride + e + 5])).reinterpretAsInts();
        IntVector r11 = w12.mul(qs[qo + qStride + e + 6]).add(w13.mul(qs[qo + qStride + e + 7])).reinterpretAsInts();
        e1 = ((FloatVector) p11.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(r11.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
            .convert(VectorOperators.I2F, 0)).fma(dw0.mul(x1), e1);
        f1 = ((FloatVector) p11.lanewise(VectorOperators.ASHR, 16).add(r11.lanewise(VectorOperators.ASHR, 16))
            .convert(VectorOperators.I2F, 0)).fma(dw1.mul(x1), f1);
      }
      // chain m of token t at lanes[256 t + 32 m ..]: rows 0..15, then rows 16..31
      a0.intoArray(lanes, 64 * c);
      b0.intoArray(lanes, 64 * c + 16);
      e0.intoArray(lanes, 64 * c + 32);
      f0.intoArray(lanes, 64 * c + 48);
      a1.intoArray(lanes, 256 + 64 * c);
      b1.intoArray(lanes, 256 + 64 * c + 16);
      e1.intoArray(lanes, 256 + 64 * c + 32);
      f1.intoArray(lanes, 256 + 64 * c + 48);
    }
    for (int t = 0; t < 2; t++) InterleavedQ4Chains.hsum8(lanes, 256 * t, buf, 32 * t);
  }

}
