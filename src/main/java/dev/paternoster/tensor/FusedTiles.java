package dev.paternoster.tensor;

import static dev.paternoster.tensor.Lanes.B;
import static dev.paternoster.tensor.Lanes.F;
import static dev.paternoster.tensor.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Register tiles for a few to a few dozen tokens of Q8_0 or Q4_0 weights (L = 16), decoding the
 * weights in registers: two neighbouring rows times up to 12 tokens, each weight vector widened
 * and scaled once per tile and used for every token of it.
 *
 * <p>The decoded path ({@link DotTiles}) first writes a group's weights as floats to scratch and
 * then reads them back for every three tokens; with few tokens per pass that decoding is paid for
 * by few multiply-adds. Here two rows are decoded per 24 multiply-adds of a 2 x 12 tile, with no
 * scratch at all. One Zen 4 core, 4864x896 (the rows' lane sums included), best of 3 s, GMAC/s:
 * 8 tokens 38.2 against 14.9, 16 tokens 35.6 against 22.2, 32 tokens 36.8 against 30.1,
 * 64 tokens 38.4 against 33.4; at 96 the two were level, so {@link #MAX_TOKENS} is 64. Q4_0, 8
 * tokens: 40-43 against 21-22.
 *
 * <p>Q4_0's 2 x 12 tile loads a block's 16 bytes again for the high nibbles rather than keeping
 * them: 24 accumulators, two decoded rows, an activation, the two rows' bytes and the nibble
 * constants are more than the 32 vector registers, and C2 spilled accumulators to the stack
 * (16 and 32 tokens ran at 22-24 GMAC/s, slower than the decoded path; with the second load,
 * 30-37).
 *
 * <p>The tokens' activations are first packed ({@link #pack}) into a float array: a tile reads
 * all its tokens at fixed distances from one index, so C2 checks the array's bounds once per
 * loop. Read from one segment address per token, every load was checked, with more instructions
 * for the checks than for the arithmetic (25 against 40 GMAC/s).
 *
 * <p>Every (row, token) accumulator runs the chain of the other paths,
 * {@code acc = fma(q * d, x, acc)} over the row's chunks of L in order from zero, so the bits
 * are theirs (batch invariance). Accumulator of row i, token t: {@code acc[a + i * ra + t * L]}.
 * The tiles are written out mechanically, as in {@link DotTiles}: {@code aIT} is row I's
 * accumulator for token T (hex), {@code rI} row I's decoded chunk, {@code vT} token T's
 * activations; no vector crosses a method boundary.
 */
final class FusedTiles {
  private FusedTiles() {}

  /** Tokens up to which a matmul of Q8_0 or Q4_0 weights takes these tiles (see the class comment). */
  static final int MAX_TOKENS = Integer.getInteger("paternoster.fusedMaxTokens", 64);

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /** Whether {@code nt} tokens times {@code w} run here. */
  static boolean handles(Weight w, int nt) {
    return L == 16 && (w.type() == GGMLType.Q8_0 || w.type() == GGMLType.Q4_0) && nt <= Math.min(MAX_TOKENS, MatmulTask.TOKEN_CHUNK);
  }

  /** The token counts of the tiles, widest first: tokens are packed and multiplied in panels of these. */
  private static final int[] WIDTHS = {12, 8, 4, 2, 1};

  /** The width of the panel that starts at token {@code t} of {@code nt}: the widest that fits. */
  static int panelWidth(int t, int nt) {
    for (int width : WIDTHS) if (width <= nt - t) return width;
    throw new IllegalArgumentException("no token left at " + t + " of " + nt);
  }

  /**
   * Copies tokens {@code t < nt} ({@code x[xo + t * xStride ..]}, {@code cols} floats each) to
   * {@code dst} in panels: consecutive tokens in groups of {@link #panelWidth}, the panel from
   * token t0 at {@code t0 * cols}, and inside a panel of width T the T tokens' chunks of L columns
   * side by side (column c of its token t at {@code (c / L * T + t) * L + c % L}).
   */
  static void pack(float[] x, int xo, int xStride, int nt, int cols, float[] dst) {
    for (int t0 = 0; t0 < nt; ) {
      int width = panelWidth(t0, nt), base = t0 * cols;
      for (int t = 0; t < width; t++) {
        int src = xo + (t0 + t) * xStride;
        for (int k = 0; k < cols; k += L) {
          FloatVector.fromArray(F, x, src + k).intoArray(dst, base + k * width + t * L);
        }
      }
      t0 += width;
    }
  }

  /**
   * Rows {@code r0}, {@code r0 + 1} (at byte {@code w0}, {@code rowBytes} apart) times the
   * {@code nt} tokens packed by {@link #pack} into {@code x}, all {@code cols} columns: the
   * accumulators are written, not added to.
   */
  static void rowPair(GGMLType type, MemorySegment w, long w0, long rowBytes, int cols, float[] x, int nt, float[] acc, int a, int ra) {
    boolean q4 = type == GGMLType.Q4_0;
    for (int t = 0; t < nt; ) {
      int width = panelWidth(t, nt), p = t * cols;
      int at = a + t * L;
      if (q4) {
        switch (width) {
          case 12 -> q4_0x12(w, w0, rowBytes, cols, x, p, acc, at, ra);
          case 8 -> q4_0x8(w, w0, rowBytes, cols, x, p, acc, at, ra);
          case 4 -> q4_0x4(w, w0, rowBytes, cols, x, p, acc, at, ra);
          case 2 -> q4_0x2(w, w0, rowBytes, cols, x, p, acc, at, ra);
          default -> q4_0x1(w, w0, rowBytes, cols, x, p, acc, at, ra);
        }
      } else {
        switch (width) {
          case 12 -> q8_0x12(w, w0, rowBytes, cols, x, p, acc, at, ra);
          case 8 -> q8_0x8(w, w0, rowBytes, cols, x, p, acc, at, ra);
          case 4 -> q8_0x4(w, w0, rowBytes, cols, x, p, acc, at, ra);
          case 2 -> q8_0x2(w, w0, rowBytes, cols, x, p, acc, at, ra);
          default -> q8_0x1(w, w0, rowBytes, cols, x, p, acc, at, ra);
        }
      }
      t += width;
    }
  }

  /** 2 rows x 12 tokens: 24 chains; per chunk 2 decoded vectors and 12 loads feed 24 FMAs. */
  private static void q8_0x12(MemorySegment w, long w0, long rowBytes, int cols, float[] x, int p, float[] acc, int a, int ra) {
    FloatVector z = FloatVector.zero(F);
    FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a04 = z, a05 = z, a06 = z, a07 = z, a08 = z, a09 = z, a0a = z, a0b = z;
    FloatVector a10 = z, a11 = z, a12 = z, a13 = z, a14 = z, a15 = z, a16 = z, a17 = z, a18 = z, a19 = z, a1a = z, a1b = z;
    long o0 = w0, o1 = w0 + rowBytes;
    int end = p + 12 * cols;
    for (int j = p; j < end; j += 384, o0 += 34, o1 += 34) {
      float d0 = Dequant.f16(w, o0), d1 = Dequant.f16(w, o1);
      // columns 0..15 of the block
      FloatVector r0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o0 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      FloatVector r1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o1 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      FloatVector v0 = FloatVector.fromArray(F, x, j);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      FloatVector v1 = FloatVector.fromArray(F, x, j + 16);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      FloatVector v2 = FloatVector.fromArray(F, x, j + 32);
      a02 = r0.fma(v2, a02); a12 = r1.fma(v2, a12);
      FloatVector v3 = FloatVector.fromArray(F, x, j + 48);
      a03 = r0.fma(v3, a03); a13 = r1.fma(v3, a13);
      FloatVector v4 = FloatVector.fromArray(F, x, j + 64);
      a04 = r0.fma(v4, a04); a14 = r1.fma(v4, a14);
      FloatVector v5 = FloatVector.fromArray(F, x, j + 80);
      a05 = r0.fma(v5, a05); a15 = r1.fma(v5, a15);
      FloatVector v6 = FloatVector.fromArray(F, x, j + 96);
      a06 = r0.fma(v6, a06); a16 = r1.fma(v6, a16);
      FloatVector v7 = FloatVector.fromArray(F, x, j + 112);
      a07 = r0.fma(v7, a07); a17 = r1.fma(v7, a17);
      FloatVector v8 = FloatVector.fromArray(F, x, j + 128);
      a08 = r0.fma(v8, a08); a18 = r1.fma(v8, a18);
      FloatVector v9 = FloatVector.fromArray(F, x, j + 144);
      a09 = r0.fma(v9, a09); a19 = r1.fma(v9, a19);
      FloatVector va = FloatVector.fromArray(F, x, j + 160);
      a0a = r0.fma(va, a0a); a1a = r1.fma(va, a1a);
      FloatVector vb = FloatVector.fromArray(F, x, j + 176);
      a0b = r0.fma(vb, a0b); a1b = r1.fma(vb, a1b);
      // columns 16..31 of the block
      r0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o0 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      r1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o1 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      v0 = FloatVector.fromArray(F, x, j + 192);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      v1 = FloatVector.fromArray(F, x, j + 208);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      v2 = FloatVector.fromArray(F, x, j + 224);
      a02 = r0.fma(v2, a02); a12 = r1.fma(v2, a12);
      v3 = FloatVector.fromArray(F, x, j + 240);
      a03 = r0.fma(v3, a03); a13 = r1.fma(v3, a13);
      v4 = FloatVector.fromArray(F, x, j + 256);
      a04 = r0.fma(v4, a04); a14 = r1.fma(v4, a14);
      v5 = FloatVector.fromArray(F, x, j + 272);
      a05 = r0.fma(v5, a05); a15 = r1.fma(v5, a15);
      v6 = FloatVector.fromArray(F, x, j + 288);
      a06 = r0.fma(v6, a06); a16 = r1.fma(v6, a16);
      v7 = FloatVector.fromArray(F, x, j + 304);
      a07 = r0.fma(v7, a07); a17 = r1.fma(v7, a17);
      v8 = FloatVector.fromArray(F, x, j + 320);
      a08 = r0.fma(v8, a08); a18 = r1.fma(v8, a18);
      v9 = FloatVector.fromArray(F, x, j + 336);
      a09 = r0.fma(v9, a09); a19 = r1.fma(v9, a19);
      va = FloatVector.fromArray(F, x, j + 352);
      a0a = r0.fma(va, a0a); a1a = r1.fma(va, a1a);
      vb = FloatVector.fromArray(F, x, j + 368);
      a0b = r0.fma(vb, a0b); a1b = r1.fma(vb, a1b);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L); a01.intoArray(acc, a + 0 * ra + 1 * L); a02.intoArray(acc, a + 0 * ra + 2 * L); a03.intoArray(acc, a + 0 * ra + 3 * L); a04.intoArray(acc, a + 0 * ra + 4 * L); a05.intoArray(acc, a + 0 * ra + 5 * L); a06.intoArray(acc, a + 0 * ra + 6 * L); a07.intoArray(acc, a + 0 * ra + 7 * L); a08.intoArray(acc, a + 0 * ra + 8 * L); a09.intoArray(acc, a + 0 * ra + 9 * L); a0a.intoArray(acc, a + 0 * ra + 10 * L); a0b.intoArray(acc, a + 0 * ra + 11 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L); a11.intoArray(acc, a + 1 * ra + 1 * L); a12.intoArray(acc, a + 1 * ra + 2 * L); a13.intoArray(acc, a + 1 * ra + 3 * L); a14.intoArray(acc, a + 1 * ra + 4 * L); a15.intoArray(acc, a + 1 * ra + 5 * L); a16.intoArray(acc, a + 1 * ra + 6 * L); a17.intoArray(acc, a + 1 * ra + 7 * L); a18.intoArray(acc, a + 1 * ra + 8 * L); a19.intoArray(acc, a + 1 * ra + 9 * L); a1a.intoArray(acc, a + 1 * ra + 10 * L); a1b.intoArray(acc, a + 1 * ra + 11 * L);
  }

  /** 2 rows x 8 tokens. */
  private static void q8_0x8(MemorySegment w, long w0, long rowBytes, int cols, float[] x, int p, float[] acc, int a, int ra) {
    FloatVector z = FloatVector.zero(F);
    FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a04 = z, a05 = z, a06 = z, a07 = z;
    FloatVector a10 = z, a11 = z, a12 = z, a13 = z, a14 = z, a15 = z, a16 = z, a17 = z;
    long o0 = w0, o1 = w0 + rowBytes;
    int end = p + 8 * cols;
    for (int j = p; j < end; j += 256, o0 += 34, o1 += 34) {
      float d0 = Dequant.f16(w, o0), d1 = Dequant.f16(w, o1);
      // columns 0..15 of the block
      FloatVector r0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o0 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      FloatVector r1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o1 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      FloatVector v0 = FloatVector.fromArray(F, x, j);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      FloatVector v1 = FloatVector.fromArray(F, x, j + 16);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      FloatVector v2 = FloatVector.fromArray(F, x, j + 32);
      a02 = r0.fma(v2, a02); a12 = r1.fma(v2, a12);
      FloatVector v3 = FloatVector.fromArray(F, x, j + 48);
      a03 = r0.fma(v3, a03); a13 = r1.fma(v3, a13);
      FloatVector v4 = FloatVector.fromArray(F, x, j + 64);
      a04 = r0.fma(v4, a04); a14 = r1.fma(v4, a14);
      FloatVector v5 = FloatVector.fromArray(F, x, j + 80);
      a05 = r0.fma(v5, a05); a15 = r1.fma(v5, a15);
      FloatVector v6 = FloatVector.fromArray(F, x, j + 96);
      a06 = r0.fma(v6, a06); a16 = r1.fma(v6, a16);
      FloatVector v7 = FloatVector.fromArray(F, x, j + 112);
      a07 = r0.fma(v7, a07); a17 = r1.fma(v7, a17);
      // columns 16..31 of the block
      r0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o0 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      r1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o1 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      v0 = FloatVector.fromArray(F, x, j + 128);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      v1 = FloatVector.fromArray(F, x, j + 144);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      v2 = FloatVector.fromArray(F, x, j + 160);
      a02 = r0.fma(v2, a02); a12 = r1.fma(v2, a12);
      v3 = FloatVector.fromArray(F, x, j + 176);
      a03 = r0.fma(v3, a03); a13 = r1.fma(v3, a13);
      v4 = FloatVector.fromArray(F, x, j + 192);
      a04 = r0.fma(v4, a04); a14 = r1.fma(v4, a14);
      v5 = FloatVector.fromArray(F, x, j + 208);
      a05 = r0.fma(v5, a05); a15 = r1.fma(v5, a15);
      v6 = FloatVector.fromArray(F, x, j + 224);
      a06 = r0.fma(v6, a06); a16 = r1.fma(v6, a16);
      v7 = FloatVector.fromArray(F, x, j + 240);
      a07 = r0.fma(v7, a07); a17 = r1.fma(v7, a17);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L); a01.intoArray(acc, a + 0 * ra + 1 * L); a02.intoArray(acc, a + 0 * ra + 2 * L); a03.intoArray(acc, a + 0 * ra + 3 * L); a04.intoArray(acc, a + 0 * ra + 4 * L); a05.intoArray(acc, a + 0 * ra + 5 * L); a06.intoArray(acc, a + 0 * ra + 6 * L); a07.intoArray(acc, a + 0 * ra + 7 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L); a11.intoArray(acc, a + 1 * ra + 1 * L); a12.intoArray(acc, a + 1 * ra + 2 * L); a13.intoArray(acc, a + 1 * ra + 3 * L); a14.intoArray(acc, a + 1 * ra + 4 * L); a15.intoArray(acc, a + 1 * ra + 5 * L); a16.intoArray(acc, a + 1 * ra + 6 * L); a17.intoArray(acc, a + 1 * ra + 7 * L);
  }

  /** 2 rows x 4 tokens. */
  private static void q8_0x4(MemorySegment w, long w0, long rowBytes, int cols, float[] x, int p, float[] acc, int a, int ra) {
    FloatVector z = FloatVector.zero(F);
    FloatVector a00 = z, a01 = z, a02 = z, a03 = z;
    FloatVector a10 = z, a11 = z, a12 = z, a13 = z;
    long o0 = w0, o1 = w0 + rowBytes;
    int end = p + 4 * cols;
    for (int j = p; j < end; j += 128, o0 += 34, o1 += 34) {
      float d0 = Dequant.f16(w, o0), d1 = Dequant.f16(w, o1);
      // columns 0..15 of the block
      FloatVector r0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o0 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      FloatVector r1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o1 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      FloatVector v0 = FloatVector.fromArray(F, x, j);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      FloatVector v1 = FloatVector.fromArray(F, x, j + 16);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      FloatVector v2 = FloatVector.fromArray(F, x, j + 32);
      a02 = r0.fma(v2, a02); a12 = r1.fma(v2, a12);
      FloatVector v3 = FloatVector.fromArray(F, x, j + 48);
      a03 = r0.fma(v3, a03); a13 = r1.fma(v3, a13);
      // columns 16..31 of the block
      r0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o0 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      r1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o1 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      v0 = FloatVector.fromArray(F, x, j + 64);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      v1 = FloatVector.fromArray(F, x, j + 80);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      v2 = FloatVector.fromArray(F, x, j + 96);
      a02 = r0.fma(v2, a02); a12 = r1.fma(v2, a12);
      v3 = FloatVector.fromArray(F, x, j + 112);
      a03 = r0.fma(v3, a03); a13 = r1.fma(v3, a13);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L); a01.intoArray(acc, a + 0 * ra + 1 * L); a02.intoArray(acc, a + 0 * ra + 2 * L); a03.intoArray(acc, a + 0 * ra + 3 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L); a11.intoArray(acc, a + 1 * ra + 1 * L); a12.intoArray(acc, a + 1 * ra + 2 * L); a13.intoArray(acc, a + 1 * ra + 3 * L);
  }

  /** 2 rows x 2 tokens. */
  private static void q8_0x2(MemorySegment w, long w0, long rowBytes, int cols, float[] x, int p, float[] acc, int a, int ra) {
    FloatVector z = FloatVector.zero(F);
    FloatVector a00 = z, a01 = z;
    FloatVector a10 = z, a11 = z;
    long o0 = w0, o1 = w0 + rowBytes;
    int end = p + 2 * cols;
    for (int j = p; j < end; j += 64, o0 += 34, o1 += 34) {
      float d0 = Dequant.f16(w, o0), d1 = Dequant.f16(w, o1);
      // columns 0..15 of the block
      FloatVector r0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o0 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      FloatVector r1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o1 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      FloatVector v0 = FloatVector.fromArray(F, x, j);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      FloatVector v1 = FloatVector.fromArray(F, x, j + 16);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      // columns 16..31 of the block
      r0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o0 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      r1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o1 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      v0 = FloatVector.fromArray(F, x, j + 32);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      v1 = FloatVector.fromArray(F, x, j + 48);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L); a01.intoArray(acc, a + 0 * ra + 1 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L); a11.intoArray(acc, a + 1 * ra + 1 * L);
  }

  /** 2 rows x 1 token. */
  private static void q8_0x1(MemorySegment w, long w0, long rowBytes, int cols, float[] x, int p, float[] acc, int a, int ra) {
    FloatVector z = FloatVector.zero(F);
    FloatVector a00 = z;
    FloatVector a10 = z;
    long o0 = w0, o1 = w0 + rowBytes;
    int end = p + 1 * cols;
    for (int j = p; j < end; j += 32, o0 += 34, o1 += 34) {
      float d0 = Dequant.f16(w, o0), d1 = Dequant.f16(w, o1);
      // columns 0..15 of the block
      FloatVector r0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o0 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      FloatVector r1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o1 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      FloatVector v0 = FloatVector.fromArray(F, x, j);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      // columns 16..31 of the block
      r0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o0 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      r1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o1 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      v0 = FloatVector.fromArray(F, x, j + 16);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L);
  }

  /** Q4_0, 2 rows x 12 tokens; the block's bytes are loaded again for the high nibbles (see the class comment). */
  private static void q4_0x12(MemorySegment w, long w0, long rowBytes, int cols, float[] x, int p, float[] acc, int a, int ra) {
    FloatVector z = FloatVector.zero(F);
    FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a04 = z, a05 = z, a06 = z, a07 = z, a08 = z, a09 = z, a0a = z, a0b = z;
    FloatVector a10 = z, a11 = z, a12 = z, a13 = z, a14 = z, a15 = z, a16 = z, a17 = z, a18 = z, a19 = z, a1a = z, a1b = z;
    long o0 = w0, o1 = w0 + rowBytes;
    int end = p + 12 * cols;
    for (int j = p; j < end; j += 384, o0 += 18, o1 += 18) {
      float d0 = Dequant.f16(w, o0), d1 = Dequant.f16(w, o1);
      ByteVector q0 = ByteVector.fromMemorySegment(B, w, o0 + 2, LE), q1 = ByteVector.fromMemorySegment(B, w, o1 + 2, LE);
      // columns 0..15 of the block: the low nibbles
      FloatVector r0 = ((FloatVector) q0.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      FloatVector r1 = ((FloatVector) q1.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      FloatVector v0 = FloatVector.fromArray(F, x, j);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      FloatVector v1 = FloatVector.fromArray(F, x, j + 16);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      FloatVector v2 = FloatVector.fromArray(F, x, j + 32);
      a02 = r0.fma(v2, a02); a12 = r1.fma(v2, a12);
      FloatVector v3 = FloatVector.fromArray(F, x, j + 48);
      a03 = r0.fma(v3, a03); a13 = r1.fma(v3, a13);
      FloatVector v4 = FloatVector.fromArray(F, x, j + 64);
      a04 = r0.fma(v4, a04); a14 = r1.fma(v4, a14);
      FloatVector v5 = FloatVector.fromArray(F, x, j + 80);
      a05 = r0.fma(v5, a05); a15 = r1.fma(v5, a15);
      FloatVector v6 = FloatVector.fromArray(F, x, j + 96);
      a06 = r0.fma(v6, a06); a16 = r1.fma(v6, a16);
      FloatVector v7 = FloatVector.fromArray(F, x, j + 112);
      a07 = r0.fma(v7, a07); a17 = r1.fma(v7, a17);
      FloatVector v8 = FloatVector.fromArray(F, x, j + 128);
      a08 = r0.fma(v8, a08); a18 = r1.fma(v8, a18);
      FloatVector v9 = FloatVector.fromArray(F, x, j + 144);
      a09 = r0.fma(v9, a09); a19 = r1.fma(v9, a19);
      FloatVector va = FloatVector.fromArray(F, x, j + 160);
      a0a = r0.fma(va, a0a); a1a = r1.fma(va, a1a);
      FloatVector vb = FloatVector.fromArray(F, x, j + 176);
      a0b = r0.fma(vb, a0b); a1b = r1.fma(vb, a1b);
      // columns 16..31 of the block: the high nibbles
      r0 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o0 + 2, LE).reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      r1 = ((FloatVector) ByteVector.fromMemorySegment(B, w, o1 + 2, LE).reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      v0 = FloatVector.fromArray(F, x, j + 192);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      v1 = FloatVector.fromArray(F, x, j + 208);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      v2 = FloatVector.fromArray(F, x, j + 224);
      a02 = r0.fma(v2, a02); a12 = r1.fma(v2, a12);
      v3 = FloatVector.fromArray(F, x, j + 240);
      a03 = r0.fma(v3, a03); a13 = r1.fma(v3, a13);
      v4 = FloatVector.fromArray(F, x, j + 256);
      a04 = r0.fma(v4, a04); a14 = r1.fma(v4, a14);
      v5 = FloatVector.fromArray(F, x, j + 272);
      a05 = r0.fma(v5, a05); a15 = r1.fma(v5, a15);
      v6 = FloatVector.fromArray(F, x, j + 288);
      a06 = r0.fma(v6, a06); a16 = r1.fma(v6, a16);
      v7 = FloatVector.fromArray(F, x, j + 304);
      a07 = r0.fma(v7, a07); a17 = r1.fma(v7, a17);
      v8 = FloatVector.fromArray(F, x, j + 320);
      a08 = r0.fma(v8, a08); a18 = r1.fma(v8, a18);
      v9 = FloatVector.fromArray(F, x, j + 336);
      a09 = r0.fma(v9, a09); a19 = r1.fma(v9, a19);
      va = FloatVector.fromArray(F, x, j + 352);
      a0a = r0.fma(va, a0a); a1a = r1.fma(va, a1a);
      vb = FloatVector.fromArray(F, x, j + 368);
      a0b = r0.fma(vb, a0b); a1b = r1.fma(vb, a1b);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L); a01.intoArray(acc, a + 0 * ra + 1 * L); a02.intoArray(acc, a + 0 * ra + 2 * L); a03.intoArray(acc, a + 0 * ra + 3 * L); a04.intoArray(acc, a + 0 * ra + 4 * L); a05.intoArray(acc, a + 0 * ra + 5 * L); a06.intoArray(acc, a + 0 * ra + 6 * L); a07.intoArray(acc, a + 0 * ra + 7 * L); a08.intoArray(acc, a + 0 * ra + 8 * L); a09.intoArray(acc, a + 0 * ra + 9 * L); a0a.intoArray(acc, a + 0 * ra + 10 * L); a0b.intoArray(acc, a + 0 * ra + 11 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L); a11.intoArray(acc, a + 1 * ra + 1 * L); a12.intoArray(acc, a + 1 * ra + 2 * L); a13.intoArray(acc, a + 1 * ra + 3 * L); a14.intoArray(acc, a + 1 * ra + 4 * L); a15.intoArray(acc, a + 1 * ra + 5 * L); a16.intoArray(acc, a + 1 * ra + 6 * L); a17.intoArray(acc, a + 1 * ra + 7 * L); a18.intoArray(acc, a + 1 * ra + 8 * L); a19.intoArray(acc, a + 1 * ra + 9 * L); a1a.intoArray(acc, a + 1 * ra + 10 * L); a1b.intoArray(acc, a + 1 * ra + 11 * L);
  }

  /** Q4_0, 2 rows x 8 tokens. */
  private static void q4_0x8(MemorySegment w, long w0, long rowBytes, int cols, float[] x, int p, float[] acc, int a, int ra) {
    FloatVector z = FloatVector.zero(F);
    FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a04 = z, a05 = z, a06 = z, a07 = z;
    FloatVector a10 = z, a11 = z, a12 = z, a13 = z, a14 = z, a15 = z, a16 = z, a17 = z;
    long o0 = w0, o1 = w0 + rowBytes;
    int end = p + 8 * cols;
    for (int j = p; j < end; j += 256, o0 += 18, o1 += 18) {
      float d0 = Dequant.f16(w, o0), d1 = Dequant.f16(w, o1);
      ByteVector q0 = ByteVector.fromMemorySegment(B, w, o0 + 2, LE), q1 = ByteVector.fromMemorySegment(B, w, o1 + 2, LE);
      // columns 0..15 of the block: the low nibbles
      FloatVector r0 = ((FloatVector) q0.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      FloatVector r1 = ((FloatVector) q1.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      FloatVector v0 = FloatVector.fromArray(F, x, j);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      FloatVector v1 = FloatVector.fromArray(F, x, j + 16);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      FloatVector v2 = FloatVector.fromArray(F, x, j + 32);
      a02 = r0.fma(v2, a02); a12 = r1.fma(v2, a12);
      FloatVector v3 = FloatVector.fromArray(F, x, j + 48);
      a03 = r0.fma(v3, a03); a13 = r1.fma(v3, a13);
      FloatVector v4 = FloatVector.fromArray(F, x, j + 64);
      a04 = r0.fma(v4, a04); a14 = r1.fma(v4, a14);
      FloatVector v5 = FloatVector.fromArray(F, x, j + 80);
      a05 = r0.fma(v5, a05); a15 = r1.fma(v5, a15);
      FloatVector v6 = FloatVector.fromArray(F, x, j + 96);
      a06 = r0.fma(v6, a06); a16 = r1.fma(v6, a16);
      FloatVector v7 = FloatVector.fromArray(F, x, j + 112);
      a07 = r0.fma(v7, a07); a17 = r1.fma(v7, a17);
      // columns 16..31 of the block: the high nibbles
      r0 = ((FloatVector) q0.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      r1 = ((FloatVector) q1.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      v0 = FloatVector.fromArray(F, x, j + 128);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      v1 = FloatVector.fromArray(F, x, j + 144);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      v2 = FloatVector.fromArray(F, x, j + 160);
      a02 = r0.fma(v2, a02); a12 = r1.fma(v2, a12);
      v3 = FloatVector.fromArray(F, x, j + 176);
      a03 = r0.fma(v3, a03); a13 = r1.fma(v3, a13);
      v4 = FloatVector.fromArray(F, x, j + 192);
      a04 = r0.fma(v4, a04); a14 = r1.fma(v4, a14);
      v5 = FloatVector.fromArray(F, x, j + 208);
      a05 = r0.fma(v5, a05); a15 = r1.fma(v5, a15);
      v6 = FloatVector.fromArray(F, x, j + 224);
      a06 = r0.fma(v6, a06); a16 = r1.fma(v6, a16);
      v7 = FloatVector.fromArray(F, x, j + 240);
      a07 = r0.fma(v7, a07); a17 = r1.fma(v7, a17);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L); a01.intoArray(acc, a + 0 * ra + 1 * L); a02.intoArray(acc, a + 0 * ra + 2 * L); a03.intoArray(acc, a + 0 * ra + 3 * L); a04.intoArray(acc, a + 0 * ra + 4 * L); a05.intoArray(acc, a + 0 * ra + 5 * L); a06.intoArray(acc, a + 0 * ra + 6 * L); a07.intoArray(acc, a + 0 * ra + 7 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L); a11.intoArray(acc, a + 1 * ra + 1 * L); a12.intoArray(acc, a + 1 * ra + 2 * L); a13.intoArray(acc, a + 1 * ra + 3 * L); a14.intoArray(acc, a + 1 * ra + 4 * L); a15.intoArray(acc, a + 1 * ra + 5 * L); a16.intoArray(acc, a + 1 * ra + 6 * L); a17.intoArray(acc, a + 1 * ra + 7 * L);
  }

  /** Q4_0, 2 rows x 4 tokens. */
  private static void q4_0x4(MemorySegment w, long w0, long rowBytes, int cols, float[] x, int p, float[] acc, int a, int ra) {
    FloatVector z = FloatVector.zero(F);
    FloatVector a00 = z, a01 = z, a02 = z, a03 = z;
    FloatVector a10 = z, a11 = z, a12 = z, a13 = z;
    long o0 = w0, o1 = w0 + rowBytes;
    int end = p + 4 * cols;
    for (int j = p; j < end; j += 128, o0 += 18, o1 += 18) {
      float d0 = Dequant.f16(w, o0), d1 = Dequant.f16(w, o1);
      ByteVector q0 = ByteVector.fromMemorySegment(B, w, o0 + 2, LE), q1 = ByteVector.fromMemorySegment(B, w, o1 + 2, LE);
      // columns 0..15 of the block: the low nibbles
      FloatVector r0 = ((FloatVector) q0.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      FloatVector r1 = ((FloatVector) q1.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      FloatVector v0 = FloatVector.fromArray(F, x, j);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      FloatVector v1 = FloatVector.fromArray(F, x, j + 16);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      FloatVector v2 = FloatVector.fromArray(F, x, j + 32);
      a02 = r0.fma(v2, a02); a12 = r1.fma(v2, a12);
      FloatVector v3 = FloatVector.fromArray(F, x, j + 48);
      a03 = r0.fma(v3, a03); a13 = r1.fma(v3, a13);
      // columns 16..31 of the block: the high nibbles
      r0 = ((FloatVector) q0.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      r1 = ((FloatVector) q1.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      v0 = FloatVector.fromArray(F, x, j + 64);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      v1 = FloatVector.fromArray(F, x, j + 80);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      v2 = FloatVector.fromArray(F, x, j + 96);
      a02 = r0.fma(v2, a02); a12 = r1.fma(v2, a12);
      v3 = FloatVector.fromArray(F, x, j + 112);
      a03 = r0.fma(v3, a03); a13 = r1.fma(v3, a13);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L); a01.intoArray(acc, a + 0 * ra + 1 * L); a02.intoArray(acc, a + 0 * ra + 2 * L); a03.intoArray(acc, a + 0 * ra + 3 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L); a11.intoArray(acc, a + 1 * ra + 1 * L); a12.intoArray(acc, a + 1 * ra + 2 * L); a13.intoArray(acc, a + 1 * ra + 3 * L);
  }

  /** Q4_0, 2 rows x 2 tokens. */
  private static void q4_0x2(MemorySegment w, long w0, long rowBytes, int cols, float[] x, int p, float[] acc, int a, int ra) {
    FloatVector z = FloatVector.zero(F);
    FloatVector a00 = z, a01 = z;
    FloatVector a10 = z, a11 = z;
    long o0 = w0, o1 = w0 + rowBytes;
    int end = p + 2 * cols;
    for (int j = p; j < end; j += 64, o0 += 18, o1 += 18) {
      float d0 = Dequant.f16(w, o0), d1 = Dequant.f16(w, o1);
      ByteVector q0 = ByteVector.fromMemorySegment(B, w, o0 + 2, LE), q1 = ByteVector.fromMemorySegment(B, w, o1 + 2, LE);
      // columns 0..15 of the block: the low nibbles
      FloatVector r0 = ((FloatVector) q0.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      FloatVector r1 = ((FloatVector) q1.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      FloatVector v0 = FloatVector.fromArray(F, x, j);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      FloatVector v1 = FloatVector.fromArray(F, x, j + 16);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
      // columns 16..31 of the block: the high nibbles
      r0 = ((FloatVector) q0.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      r1 = ((FloatVector) q1.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      v0 = FloatVector.fromArray(F, x, j + 32);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      v1 = FloatVector.fromArray(F, x, j + 48);
      a01 = r0.fma(v1, a01); a11 = r1.fma(v1, a11);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L); a01.intoArray(acc, a + 0 * ra + 1 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L); a11.intoArray(acc, a + 1 * ra + 1 * L);
  }

  /** Q4_0, 2 rows x 1 token. */
  private static void q4_0x1(MemorySegment w, long w0, long rowBytes, int cols, float[] x, int p, float[] acc, int a, int ra) {
    FloatVector z = FloatVector.zero(F);
    FloatVector a00 = z;
    FloatVector a10 = z;
    long o0 = w0, o1 = w0 + rowBytes;
    int end = p + 1 * cols;
    for (int j = p; j < end; j += 32, o0 += 18, o1 += 18) {
      float d0 = Dequant.f16(w, o0), d1 = Dequant.f16(w, o1);
      ByteVector q0 = ByteVector.fromMemorySegment(B, w, o0 + 2, LE), q1 = ByteVector.fromMemorySegment(B, w, o1 + 2, LE);
      // columns 0..15 of the block: the low nibbles
      FloatVector r0 = ((FloatVector) q0.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      FloatVector r1 = ((FloatVector) q1.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      FloatVector v0 = FloatVector.fromArray(F, x, j);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
      // columns 16..31 of the block: the high nibbles
      r0 = ((FloatVector) q0.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
      r1 = ((FloatVector) q1.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
      v0 = FloatVector.fromArray(F, x, j + 16);
      a00 = r0.fma(v0, a00); a10 = r1.fma(v0, a10);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L);
  }
}
