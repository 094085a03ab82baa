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
 * Q4_0 on {@link Interleaved}'s layout in llama.cpp's repacked order
 * ({@code ggml_gemv/gemm_q4_0_8x8_q8_0}: per row and token, {@code acc = fma(isum_block, d_w*d_a, acc)}
 * block after block), for the matrices llama.cpp repacks (a multiple of 8 rows, not the token
 * embedding), bit for bit as {@link QuantDot} computes it.
 *
 * <p>A block's integer sum {@code sum((q-8) * a)} over 32 positions is at most
 * {@code 32 * 8 * 127 = 32512} in magnitude, so it fits a short. Each step multiplies 32 rows'
 * quants by one broadcast activation quant and adds (vpmullw, vpaddw): 32 multiply-adds for two
 * instructions, where the float kernels spend a conversion and an FMA on 16. The {@code -8} is
 * folded into the start value {@code -8 * sum(a)} of each block ({@link Q8Activations#bias}): the
 * sums wrap modulo 2^16, and a result known to lie in the short range is exact however the terms
 * wrapped on the way.
 */
final class InterleavedQ4 {
  private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
  private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final int ROWS = Interleaved.ROWS;
  /** Bytes of a block's 32 float scales, which come before its quants. */
  private static final int SCALES = Interleaved.SCALES;
  /** Bytes per (group, block), read in one pass: the scales, then 16 x 32 quant bytes. */
  static final int BLOCK_BYTES = Interleaved.blockBytes(GGMLType.Q4_0);
  /** Tokens per tile: four tokens' sums stay in registers while a chunk of weights is read once. */
  static final int TILE = 4;

  private InterleavedQ4() {}

  /** One token: {@code buf[0..32)} = the group's 32 row sums. */
  static void tile1(MemorySegment m, long base, int blocks, short[] qs, int qo, short[] bias, float[] ad, int bo, float[] buf) {
    FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
    long p = base;
    for (int b = 0; b < blocks; b++, p += BLOCK_BYTES) {
      ShortVector s = ShortVector.broadcast(S, bias[bo + b]);
      int q = qo + 32 * b;
      for (int k = 0; k < 16; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + SCALES + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15), hi = w.lanewise(VectorOperators.LSHR, 4).and((short) 15);
        s = s.add(lo.mul(qs[q + k])).add(hi.mul(qs[q + k + 16]));
      }
      IntVector i = s.reinterpretAsInts();
      FloatVector d0 = FloatVector.fromMemorySegment(F, m, p, LE), d1 = FloatVector.fromMemorySegment(F, m, p + 64, LE);
      float da = ad[bo + b];
      c0 = ((FloatVector) i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d0.mul(da), c0);
      c1 = ((FloatVector) i.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d1.mul(da), c1);
    }
    c0.intoArray(buf, 0);
    c1.intoArray(buf, 16);
  }

  /** Four tokens (token i's activations at {@code qo + i*qs_stride}): {@code buf[32i..32i+32)}. */
  static void tile4(MemorySegment m, long base, int blocks, short[] qs, int qo, int qStride, short[] bias, float[] ad, int bo, float[] buf) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
    int q0 = qo, q1 = qo + qStride, q2 = qo + 2 * qStride, q3 = qo + 3 * qStride;
    int b0 = bo, b1 = bo + blocks, b2 = bo + 2 * blocks, b3 = bo + 3 * blocks;
    long p = base;
    for (int b = 0; b < blocks; b++, p += BLOCK_BYTES) {
      ShortVector s0 = ShortVector.broadcast(S, bias[b0 + b]), s1 = ShortVector.broadcast(S, bias[b1 + b]);
      ShortVector s2 = ShortVector.broadcast(S, bias[b2 + b]), s3 = ShortVector.broadcast(S, bias[b3 + b]);
      int o = 32 * b;
      for (int k = 0; k < 16; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + SCALES + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15), hi = w.lanewise(VectorOperators.LSHR, 4).and((short) 15);
        int e = o + k;
        s0 = s0.add(lo.mul(qs[q0 + e])).add(hi.mul(qs[q0 + e + 16]));
        s1 = s1.add(lo.mul(qs[q1 + e])).add(hi.mul(qs[q1 + e + 16]));
        s2 = s2.add(lo.mul(qs[q2 + e])).add(hi.mul(qs[q2 + e + 16]));
        s3 = s3.add(lo.mul(qs[q3 + e])).add(hi.mul(qs[q3 + e + 16]));
      }
      FloatVector d0 = FloatVector.fromMemorySegment(F, m, p, LE), d1 = FloatVector.fromMemorySegment(F, m, p + 64, LE);
      IntVector i0 = s0.reinterpretAsInts(), i1 = s1.reinterpretAsInts(), i2 = s2.reinterpretAsInts(), i3 = s3.reinterpretAsInts();
      float a0 = ad[b0 + b], a1 = ad[b1 + b], a2 = ad[b2 + b], a3 = ad[b3 + b];
      c00 = ((FloatVector) i0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d0.mul(a0), c00);
      c01 = ((FloatVector) i0.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d1.mul(a0), c01);
      c10 = ((FloatVector) i1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d0.mul(a1), c10);
      c11 = ((FloatVector) i1.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d1.mul(a1), c11);
      c20 = ((FloatVector) i2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d0.mul(a2), c20);
      c21 = ((FloatVector) i2.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d1.mul(a2), c21);
      c30 = ((FloatVector) i3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d0.mul(a3), c30);
      c31 = ((FloatVector) i3.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d1.mul(a3), c31);
    }
    c00.intoArray(buf, 0);
    c01.intoArray(buf, 16);
    c10.intoArray(buf, 32);
    c11.intoArray(buf, 48);
    c20.intoArray(buf, 64);
    c21.intoArray(buf, 80);
    c30.intoArray(buf, 96);
    c31.intoArray(buf, 112);
  }

  /**
   * Two groups (at {@code base0}, {@code base1}) times four tokens: each broadcast activation quant
   * serves 64 rows. The float sums wait in {@code acc} between blocks (group h's token i at
   * {@code acc[128h + 32i ..]}, zeroed here), leaving the registers to the eight short sums.
   */
  static void tile4x2(MemorySegment m, long base0, long base1, int blocks, short[] qs, int qo, int qStride, short[] bias, float[] ad, int bo, float[] acc) {
    java.util.Arrays.fill(acc, 0, 256, 0f);
    int q0 = qo, q1 = qo + qStride, q2 = qo + 2 * qStride, q3 = qo + 3 * qStride;
    int b0 = bo, b1 = bo + blocks, b2 = bo + 2 * blocks, b3 = bo + 3 * blocks;
    long p = base0, r = base1;
    for (int b = 0; b < blocks; b++, p += BLOCK_BYTES, r += BLOCK_BYTES) {
      ShortVector s0 = ShortVector.broadcast(S, bias[b0 + b]), s1 = ShortVector.broadcast(S, bias[b1 + b]);
      ShortVector s2 = ShortVector.broadcast(S, bias[b2 + b]), s3 = ShortVector.broadcast(S, bias[b3 + b]);
      ShortVector t0 = s0, t1 = s1, t2 = s2, t3 = s3;
      int o = 32 * b;
      for (int k = 0; k < 16; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + SCALES + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B, m, r + SCALES + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15), hi = w.lanewise(VectorOperators.LSHR, 4).and((short) 15);
        ShortVector lo2 = v.and((short) 15), hi2 = v.lanewise(VectorOperators.LSHR, 4).and((short) 15);
        int e = o + k;
        ShortVector x0 = ShortVector.broadcast(S, qs[q0 + e]), y0 = ShortVector.broadcast(S, qs[q0 + e + 16]);
        s0 = s0.add(lo.mul(x0)).add(hi.mul(y0));
        t0 = t0.add(lo2.mul(x0)).add(hi2.mul(y0));
        ShortVector x1 = ShortVector.broadcast(S, qs[q1 + e]), y1 = ShortVector.broadcast(S, qs[q1 + e + 16]);
        s1 = s1.add(lo.mul(x1)).add(hi.mul(y1));
        t1 = t1.add(lo2.mul(x1)).add(hi2.mul(y1));
        ShortVector x2 = ShortVector.broadcast(S, qs[q2 + e]), y2 = ShortVector.broadcast(S, qs[q2 + e + 16]);
        s2 = s2.add(lo.mul(x2)).add(hi.mul(y2));
        t2 = t2.add(lo2.mul(x2)).add(hi2.mul(y2));
        ShortVector x3 = ShortVector.broadcast(S, qs[q3 + e]), y3 = ShortVector.broadcast(S, qs[q3 + e + 16]);
        s3 = s3.add(lo.mul(x3)).add(hi.mul(y3));
        t3 = t3.add(lo2.mul(x3)).add(hi2.mul(y3));
      }
      FloatVector d0 = FloatVector.fromMemorySegment(F, m, p, LE), d1 = FloatVector.fromMemorySegment(F, m, p + 64, LE);
      FloatVector e0 = FloatVector.fromMemorySegment(F, m, r, LE), e1 = FloatVector.fromMemorySegment(F, m, r + 64, LE);
      float a0 = ad[b0 + b];
      IntVector is0 = s0.reinterpretAsInts();
      ((FloatVector) is0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(d0.mul(a0), FloatVector.fromArray(F, acc, 0)).intoArray(acc, 0);
      ((FloatVector) is0.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(d1.mul(a0), FloatVector.fromArray(F, acc, 16)).intoArray(acc, 16);
      IntVector it0 = t0.reinterpretAsInts();
      ((FloatVector) it0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(e0.mul(a0), FloatVector.fromArray(F, acc, 128)).intoArray(acc, 128);
      ((FloatVector) it0.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(e1.mul(a0), FloatVector.fromArray(F, acc, 144)).intoArray(acc, 144);
      float a1 = ad[b1 + b];
      IntVector is1 = s1.reinterpretAsInts();
      ((FloatVector) is1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(d0.mul(a1), FloatVector.fromArray(F, acc, 32)).intoArray(acc, 32);
      ((FloatVector) is1.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(d1.mul(a1), FloatVector.fromArray(F, acc, 48)).intoArray(acc, 48);
      IntVector it1 = t1.reinterpretAsInts();
      ((FloatVector) it1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(e0.mul(a1), FloatVector.fromArray(F, acc, 160)).intoArray(acc, 160);
      ((FloatVector) it1.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(e1.mul(a1), FloatVector.fromArray(F, acc, 176)).intoArray(acc, 176);
      float a2 = ad[b2 + b];
      IntVector is2 = s2.reinterpretAsInts();
      ((FloatVector) is2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(d0.mul(a2), FloatVector.fromArray(F, acc, 64)).intoArray(acc, 64);
      ((FloatVector) is2.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(d1.mul(a2), FloatVector.fromArray(F, acc, 80)).intoArray(acc, 80);
      IntVector it2 = t2.reinterpretAsInts();
      ((FloatVector) it2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(e0.mul(a2), FloatVector.fromArray(F, acc, 192)).intoArray(acc, 192);
      ((FloatVector) it2.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(e1.mul(a2), FloatVector.fromArray(F, acc, 208)).intoArray(acc, 208);
      float a3 = ad[b3 + b];
      IntVector is3 = s3.reinterpretAsInts();
      ((FloatVector) is3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(d0.mul(a3), FloatVector.fromArray(F, acc, 96)).intoArray(acc, 96);
      ((FloatVector) is3.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(d1.mul(a3), FloatVector.fromArray(F, acc, 112)).intoArray(acc, 112);
      IntVector it3 = t3.reinterpretAsInts();
      ((FloatVector) it3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(e0.mul(a3), FloatVector.fromArray(F, acc, 224)).intoArray(acc, 224);
      ((FloatVector) it3.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
          .fma(e1.mul(a3), FloatVector.fromArray(F, acc, 240)).intoArray(acc, 240);
    }
  }

}
