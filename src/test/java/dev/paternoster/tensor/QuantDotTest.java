package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Q8_0/Q4_0 kernels ({@link QuantDot} through {@link Matmul}) against the scalar emulation of
 * llama.cpp ({@link ReferenceMatmul#llamaCpp}), bit for bit, at shapes that leave every remainder:
 * rows not a multiple of 2, 8 or 16, column counts with partial chunks, token counts off the tile.
 */
@Timeout(300)
class QuantDotTest {
  static Parallel pool;

  @BeforeAll
  static void startPool() {
    pool = new Parallel(2);
  }

  @AfterAll
  static void stopPool() {
    pool.close();
  }

  static Weight weight(GGMLType t, String name, int rows, int cols, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * (1 + i % 5));
    return Quantize.weight(name, t, rows, cols, v);
  }

  static float[] activations(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * (i % 13 == 0 ? 20 : 1));
    // a block of zeros (amax = 0) and a block with one value
    if (n >= 64) {
      Arrays.fill(x, 0, 32, 0f);
      Arrays.fill(x, 32, 64, 0f);
      x[40] = -3.5f;
    }
    return x;
  }

  static void assertExact(Weight w, float[] x, int nTokens) {
    float[] got = new float[nTokens * w.rows()], want = new float[nTokens * w.rows()];
    Matmul.matmul(w, x, nTokens, got, pool);
    ReferenceMatmul.llamaCpp(w, x, nTokens, want);
    for (int i = 0; i < got.length; i++) {
      if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) {
        throw new AssertionError(String.format("%s %s %dx%d, %d tokens: token %d row %d: got %s, llama.cpp %s",
            w.type(), w.name(), w.rows(), w.cols(), nTokens, i / w.rows(), i % w.rows(), got[i], want[i]));
      }
    }
  }

  @ParameterizedTest
  @CsvSource({
      "Q8_0,1,32", "Q8_0,7,96", "Q8_0,16,288", "Q8_0,37,544", "Q8_0,33,768",
      "Q4_0,1,32", "Q4_0,7,96", "Q4_0,8,288", "Q4_0,24,544", "Q4_0,37,544", "Q4_0,40,768", "Q4_0,17,256",
      // enough rows for several rows per run of the spread single-token path, and a remainder
      "Q8_0,131,64", "Q4_0,136,64", "Q4_0,131,64"})
  void matchesLlamaCppBitForBit(GGMLType t, int rows, int cols) {
    Weight w = weight(t, "w", rows, cols, rows * 31L + cols);
    for (int n : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 70}) {
      assertExact(w, activations(n * cols, n), n);
    }
  }

  @ParameterizedTest
  @CsvSource({"Q8_0,7,96", "Q8_0,37,544", "Q4_0,8,288", "Q4_0,37,544", "Q4_0,136,64"})
  void quantDotItselfMatchesLlamaCpp(GGMLType t, int rows, int cols) {
    // where Interleaved runs, Matmul no longer reaches QuantDot's vector kernels: check them directly
    Weight w = weight(t, "w", rows, cols, rows * 7L + cols);
    for (int n : new int[] {1, 3, 4, 5, 9, 17}) {
      float[] x = activations(n * cols, n);
      Q8Activations q = new Q8Activations();
      q.quantize(x, 0, cols, n, cols, pool);
      float[] got = new float[n * rows], want = new float[n * rows];
      QuantDot.matmul(w, q, got, 0, rows, pool);
      ReferenceMatmul.llamaCpp(w, x, n, want);
      assertThat(got).as("%s %dx%d, %d tokens", t, rows, cols, n).containsExactly(want);
    }
  }

  @Test
  void everyTokenCountUpTo70() {
    for (GGMLType t : new GGMLType[] {GGMLType.Q8_0, GGMLType.Q4_0}) {
      for (int rows : new int[] {19, 32}) {
        Weight w = weight(t, "w", rows, 320, rows);
        float[] x = activations(70 * 320, 5);
        for (int n = 1; n <= 70; n++) assertExact(w, x, n);
      }
    }
  }

  @Test
  void tokensBeyondOnePassOverTheRows() {
    // more tokens than MatmulTask.TOKEN_CHUNK run in several passes over the rows
    int[] counts = {MatmulTask.TOKEN_CHUNK + 1, 2 * MatmulTask.TOKEN_CHUNK + 5};
    for (GGMLType t : new GGMLType[] {GGMLType.Q8_0, GGMLType.Q4_0}) {
      Weight w = weight(t, "w", 19, 64, 3);
      float[] x = activations(counts[1] * 64, 8);
      for (int n : counts) assertExact(w, x, n);
    }
  }

  @Test
  void tokenEmbeddingKeepsTheLaneOrder() {
    // llama.cpp does not repack token_embd (used for row look-ups), so a tied output head takes
    // the vec_dot order even with a multiple of 8 rows; the two orders give different bits.
    Weight tied = weight(GGMLType.Q4_0, "token_embd.weight", 32, 512, 9);
    Weight other = weight(GGMLType.Q4_0, "output.weight", 32, 512, 9);
    float[] x = activations(6 * 512, 11);
    assertExact(tied, x, 6);
    assertExact(other, x, 6);
    float[] a = new float[6 * 32], b = new float[6 * 32];
    Matmul.matmul(tied, x, 6, a, pool);
    Matmul.matmul(other, x, 6, b, pool);
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void quantizedActivationsAreLlamaCpps() {
    float[] x = activations(3 * 96, 2);
    x[100] = 0.5f * 127f / 127f; // exercises ties only by chance; checked against Math.rint below
    Q8Activations q = new Q8Activations();
    q.quantize(x, 0, 96, 3, 96, pool);
    for (int t = 0; t < 3; t++) {
      for (int b = 0; b < 3; b++) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[t * 96 + 32 * b + j]));
        float id = amax != 0f ? 127f / amax : 0f;
        assertThat(q.scale(t, b)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(amax / 127f)));
        for (int j = 0; j < 32; j++) {
          assertThat(q.quant(t, 32 * b + j)).isEqualTo((int) Math.rint(x[t * 96 + 32 * b + j] * id));
        }
      }
    }
  }

  @Test
  void roundsHalfToEven() {
    // amax = 127 makes id = 1: the quants are rint of the values themselves
    float[] x = new float[32];
    float[] v = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, 127f, 3.4999998f, 0.49999997f};
    System.arraycopy(v, 0, x, 0, v.length);
    Q8Activations q = new Q8Activations();
    q.quantize(x, 0, 32, 1, 32, pool);
    for (int j = 0; j < v.length; j++) assertThat(q.quant(0, j)).as("%s", v[j]).isEqualTo((int) Math.rint(v[j]));
  }

  @Test
  void aTokenAloneEqualsItInAnyBatchPosition() {
    for (GGMLType t : new GGMLType[] {GGMLType.Q8_0, GGMLType.Q4_0}) {
      for (int rows : new int[] {21, 48}) {
        int cols = 544;
        Weight w = weight(t, "w", rows, cols, 77);
        int n = 13;
        float[] x = activations(n * cols, 8);
        float[] batched = new float[n * rows];
        Matmul.matmul(w, x, n, batched, pool);
        for (int k = 0; k < n; k++) {
          float[] alone = new float[rows];
          Matmul.matmul(w, Arrays.copyOfRange(x, k * cols, (k + 1) * cols), 1, alone, pool);
          assertThat(Arrays.copyOfRange(batched, k * rows, (k + 1) * rows)).as("%s rows %d token %d", t, rows, k).containsExactly(alone);
        }
      }
    }
  }

  @Test
  void quantizingOnceServesSeveralWeights() {
    Weight a = weight(GGMLType.Q8_0, "a", 24, 256, 1), b = weight(GGMLType.Q4_0, "b", 40, 256, 2);
    float[] x = activations(5 * 256, 3);
    Q8Activations q = new Q8Activations();
    q.quantize(x, 0, 256, 5, 256, pool);
    float[] oa = new float[5 * 24], ob = new float[5 * 40], ra = new float[5 * 24], rb = new float[5 * 40];
    Matmul.matmul(a, q, oa, 0, 24, pool);
    Matmul.matmul(b, q, ob, 0, 40, pool);
    ReferenceMatmul.llamaCpp(a, x, 5, ra);
    ReferenceMatmul.llamaCpp(b, x, 5, rb);
    assertThat(oa).containsExactly(ra);
    assertThat(ob).containsExactly(rb);
  }

  @Test
  void blockSumsAtTheEdgeOfSixteenBitsAreExact() {
    // quants -8 or +7 against activation quants of +-127: block sums of -32512, 32512 and 28448,
    // the largest a Q4_0 block can make, which the 16-bit lanes of InterleavedQ4 must hold
    int cols = 64, blocks = cols / 32;
    for (String name : new String[] {"blk.0.ffn_up.weight", "token_embd.weight"}) {
      for (int rows : new int[] {32, 33}) {
        MemorySegment data = Arena.ofAuto().allocate((long) rows * blocks * 18);
        for (int r = 0; r < rows; r++) {
          for (int b = 0; b < blocks; b++) {
            long o = (long) (r * blocks + b) * 18;
            data.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(0.5f + r % 3));
            for (int k = 0; k < 16; k++) data.set(ValueLayout.JAVA_BYTE, o + 2 + k, (byte) (r % 2 == 0 ? 0x00 : 0xFF));
          }
        }
        Weight w = new Weight(name, GGMLType.Q4_0, rows, cols, data);
        float[] x = new float[3 * cols];
        for (int i = 0; i < cols; i++) {
          x[i] = 1f;
          x[cols + i] = -1f;
          x[2 * cols + i] = i % 2 == 0 ? 2f : -2f;
        }
        assertExact(w, x, 3);
        float[] got = new float[3 * rows];
        Matmul.matmul(w, x, 3, got, pool);
        float d = Float.float16ToFloat(Float.floatToFloat16(1f / 127f)) * 0.5f; // row 0's d_w * d_a
        float chain = Math.fma(-32512f, d, Math.fma(-32512f, d, 0f));
        assertThat(got[0]).as("%s rows %d", name, rows).isEqualTo(chain);
        assertThat(got[rows]).as("%s rows %d", name, rows).isEqualTo(-chain);
      }
    }
  }

  @Test
  void q8PairSumsAtTheEdgeOfSixteenBitsAreExact() {
    // quants -128 and 127 against activation quants of +-127: pair sums of +-32512 and 32258, the
    // largest two Q8_0 products make, which InterleavedQ8Chains holds in shorts before widening
    int cols = 64, blocks = cols / 32, rows = 33;
    MemorySegment data = Arena.ofAuto().allocate((long) rows * blocks * 34);
    for (int r = 0; r < rows; r++) {
      for (int b = 0; b < blocks; b++) {
        long o = (long) (r * blocks + b) * 34;
        data.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16(0.25f + r % 4));
        for (int k = 0; k < 32; k++) data.set(ValueLayout.JAVA_BYTE, o + 2 + k, (byte) (r % 2 == 0 ? -128 : 127));
      }
    }
    Weight w = new Weight("blk.0.attn_q.weight", GGMLType.Q8_0, rows, cols, data);
    float[] x = new float[3 * cols];
    for (int i = 0; i < cols; i++) {
      x[i] = 1f;
      x[cols + i] = -1f;
      x[2 * cols + i] = i % 3 == 0 ? 2f : -2f;
    }
    assertExact(w, x, 3);
    float[] got = new float[3 * rows];
    Matmul.matmul(w, x, 3, got, pool);
    // row 0, token 0: every lane sums 4 x (-128 x 127) per block; eight equal lanes sum exactly
    float d = Float.float16ToFloat(Float.floatToFloat16(1f / 127f)) * 0.25f;
    float lane = Math.fma(d, -65024f, Math.fma(d, -65024f, 0f));
    assertThat(got[0]).isEqualTo(8 * lane);
  }

  @Test
  void theInterleavedCopyIsMadeOnceAndPadsTheLastGroup() {
    assumeTrue(Interleaved.SUPPORTED, "needs 512-bit short vectors");
    Weight w = weight(GGMLType.Q8_0, "w", 33, 64, 4);
    Interleaved.Packed p = Interleaved.packed(w, pool, true);
    assertThat(Interleaved.packed(w, pool, true)).isSameAs(p);
    assertThat(p.data().byteSize()).isEqualTo(Interleaved.bytes(w));
    assertThat(p.groups()).isEqualTo(2);
    // group 1 holds row 32 (lane 0) and 31 rows of padding: zero scales and quants
    for (int b = 0; b < p.blocks(); b++) {
      for (int j = 0; j < Interleaved.ROWS; j++) {
        float scale = p.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, p.scales(1) + (4L * 32 + 8L * 32) * b + 4L * j);
        if (j == 0) assertThat(scale).isEqualTo(Float.float16ToFloat(w.data().get(ValueLayout.JAVA_SHORT_UNALIGNED, w.rowOffset(32) + 34L * b)));
        else assertThat(scale).isZero();
      }
    }
    // every quant byte of group 1 outside lane 0 (row 32) is padding: zero
    long start = p.scales(1), end = start + (long) p.blocks() * p.blockBytes(), first = 4L * 32 + 8L * 32;
    for (long o = start; o < end; o++) {
      long rel = o - start;
      boolean scale = rel < first * p.blocks() && rel % first < 4L * 32;
      if (!scale && rel % Interleaved.ROWS != 0) assertThat(p.data().get(ValueLayout.JAVA_BYTE, o)).as("byte %d", rel).isZero();
    }
    assertThat(java.util.stream.IntStream.range(0, 32).map(Interleaved::rowOfLane).sorted().toArray())
        .containsExactly(java.util.stream.IntStream.range(0, 32).toArray());
  }

  @Test
  void aCopyIsMadeOnlyWhereMemoryIsAvailable() {
    assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/proc/meminfo")), "reads Linux's MemAvailable");
    assertThat(Interleaved.affordable(1L << 20)).isTrue();
    assertThat(Interleaved.affordable(1L << 50)).isFalse(); // a petabyte: declined, QuantDot multiplies
  }

  @Test
  void theFastOrderMultipliesEveryQ4MatrixInTheRepackedOrder() {
    assumeTrue(Interleaved.SUPPORTED, "needs 512-bit short vectors");
    // under --numerics fast, the token embedding takes llama.cpp's repacked order (what it gives
    // an ordinary matrix with a multiple of 8 rows), which is exact in its block sums too
    Weight tied = weight(GGMLType.Q4_0, "token_embd.weight", 40, 256, 12);
    Weight asRepacked = new Weight("output.weight", GGMLType.Q4_0, 40, 256, tied.data());
    int n = 7;
    float[] x = activations(n * 256, 13);
    Q8Activations q = new Q8Activations();
    q.quantize(x, 0, 256, n, 256, pool);
    float[] fast = new float[n * 40], exact = new float[n * 40], want = new float[n * 40];
    Matmul.matmul(tied, q, fast, 0, 40, pool, false);
    Matmul.matmul(tied, q, exact, 0, 40, pool, true);
    ReferenceMatmul.llamaCpp(asRepacked, x, n, want);
    assertThat(fast).containsExactly(want);
    assertThat(exact).isNotEqualTo(fast);
    // one token alone gives the same bits as in the batch
    float[] alone = new float[40];
    Q8Activations one = new Q8Activations();
    one.quantize(x, 3 * 256, 256, 1, 256, pool);
    Matmul.matmul(tied, one, alone, 0, 40, pool, false);
    assertThat(alone).containsExactly(Arrays.copyOfRange(fast, 3 * 40, 4 * 40));
  }

  @Test
  void aNewMappingAtAnOldAddressGetsItsOwnCopy() {
    assumeTrue(Interleaved.SUPPORTED, "needs 512-bit short vectors");
    // Weight compares segments by address: a model loaded where a closed one was mapped has equal
    // Weight records, and must not be multiplied with the old model's copy
    Weight first = weight(GGMLType.Q8_0, "blk.0.ffn_up.weight", 32, 64, 1);
    Weight second = weight(GGMLType.Q8_0, "blk.0.ffn_up.weight", 32, 64, 2);
    try (Arena a = Arena.ofConfined(); Arena b = Arena.ofConfined()) {
      MemorySegment bytes = a.allocate(first.data().byteSize(), 64);
      bytes.copyFrom(first.data());
      Weight wa = new Weight(first.name(), GGMLType.Q8_0, 32, 64, bytes);
      float[] x = activations(3 * 64, 5), got = new float[3 * 32], want = new float[3 * 32];
      Matmul.matmul(wa, x, 3, got, pool);
      bytes.copyFrom(second.data()); // the same address, other contents, another scope
      Weight wb = new Weight(first.name(), GGMLType.Q8_0, 32, 64, bytes.reinterpret(b, null));
      assertThat(wb).isEqualTo(wa);
      Matmul.matmul(wb, x, 3, got, pool);
      ReferenceMatmul.llamaCpp(second, x, 3, want);
      assertThat(got).containsExactly(want);
    }
  }
}
