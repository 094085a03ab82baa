package dev.paternoster.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.tensor.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The vector attention kernels against scalar transcriptions of llama.cpp's C: F16 flash attention
 * bit for bit; the F32 path's KQ and softmax bit for bit with its own V order.
 */
class AttentionTest {

  @Test
  void roundHalfIsFloatToFloat16AndBack() {
    SplittableRandom r = new SplittableRandom(1);
    int l = GgmlVec.L;
    float[] in = new float[l], out = new float[l];
    int n = 0;
    int[] specials = {0, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 1, 0x0080_0000,
        Float.floatToIntBits(65504f), Float.floatToIntBits(65519.99f), Float.floatToIntBits(65520f),
        Float.floatToIntBits(-65520f), Float.floatToIntBits(0x1p-24f), Float.floatToIntBits(0x1p-25f),
        Float.floatToIntBits(0x1.8p-25f), Float.floatToIntBits(0x1p-14f), Float.floatToIntBits(Float.MAX_VALUE)};
    for (int i = 0; i < 3_000_000; i++) {
      int bits;
      if (i < specials.length) bits = specials[i];
      else if (i % 3 == 0) bits = r.nextInt();
      else if (i % 3 == 1) {
        // F16 values and the midpoints between neighbours (ties), in the float domain
        float a = Float.float16ToFloat((short) r.nextInt(0x10000));
        float b = Float.float16ToFloat((short) (Float.floatToFloat16(a) + 1));
        bits = Float.floatToIntBits(Float.isFinite(b) ? (float) (((double) a + b) / 2) : a);
      } else bits = Float.floatToIntBits((float) (r.nextGaussian() * Math.pow(2, r.nextInt(-30, 20))));
      in[n++] = Float.intBitsToFloat(bits);
      if (n == l) {
        Attention.roundHalf(FloatVector.fromArray(GgmlVec.F, in, 0)).intoArray(out, 0);
        for (int k = 0; k < l; k++) {
          float want = Float.float16ToFloat(Float.floatToFloat16(in[k]));
          assertThat(Float.floatToIntBits(out[k])).as("round(%s) = %s, want %s", in[k], out[k], want)
              .isEqualTo(Float.floatToIntBits(want));
        }
        n = 0;
      }
    }
  }

  @Test
  void decodeF16IsFloat16ToFloatForAllHalves() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment s = a.allocate(2 * 65536 + 2);
      for (int i = 0; i < 65536; i++) s.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L + 2L * i, (short) i);
      float[] dst = new float[65536];
      Attention.decodeF16(s, 2, dst, 65536);
      for (int i = 0; i < 65536; i++) {
        float want = Float.float16ToFloat((short) i);
        assertThat(Float.floatToIntBits(dst[i])).as("half 0x%04x", i).isEqualTo(Float.floatToIntBits(want));
      }
    }
  }

  static ModelConfig config(int heads, int kvHeads, int headDim) {
    return new ModelConfig("llama", "t", heads * headDim, 1, heads, kvHeads, headDim, 4, 10, 4096, 1e-5f,
        10000f, false, null, 1f, 1f, 1f, 0, false, false, false);
  }

  /** A batch of several sequences at scattered pages, with K/V of earlier positions already cached. */
  record Setup(PagedKvCache kv, Batch batch, float[] q, float[][][] k, float[][][] v, int[] lens) {}

  static Setup setup(ModelConfig c, KvCacheDtype dtype, int pageSize, int[] lens, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int seqs = lens.length;
    int pagesPerSeq = 0;
    for (int len : lens) pagesPerSeq = Math.max(pagesPerSeq, (len + pageSize - 1) / pageSize);
    int numPages = seqs * pagesPerSeq;
    PagedKvCache kv = new PagedKvCache(1, c.kvDim(), numPages, pageSize, dtype);
    int[][] tables = new int[seqs][pagesPerSeq];
    for (int p = 0; p < numPages; p++) {
      tables[p % seqs][p / seqs] = p;
    }
    // reverse every table so that page order differs from position order
    for (int[] t : tables) for (int i = 0; i < t.length / 2; i++) { int x = t[i]; t[i] = t[t.length - 1 - i]; t[t.length - 1 - i] = x; }
    float[][][] ks = new float[seqs][][], vs = new float[seqs][][];
    for (int s = 0; s < seqs; s++) {
      ks[s] = new float[lens[s]][c.kvDim()];
      vs[s] = new float[lens[s]][c.kvDim()];
      for (int p = 0; p < lens[s]; p++) {
        float spread = (float) Math.exp(r.nextGaussian());
        for (int i = 0; i < c.kvDim(); i++) {
          ks[s][p][i] = (float) (r.nextGaussian() * spread * 2);
          vs[s][p][i] = (float) (r.nextGaussian() * (p % 5 == 0 ? 40 : 1));
        }
        kv.write(0, tables[s][p / pageSize], p % pageSize, ks[s][p], 0, vs[s][p], 0);
      }
    }
    // every sequence's last two positions (or one) are queried, interleaved
    int n = 0;
    for (int len : lens) n += Math.min(2, len);
    int[] tok = new int[n], pos = new int[n], seq = new int[n];
    int i = 0;
    for (int back = 1; back >= 0; back--) {
      for (int s = 0; s < seqs; s++) {
        int p = lens[s] - 1 - back;
        if (p < 0) continue;
        pos[i] = p;
        seq[i++] = s;
      }
    }
    float[] q = new float[n * c.qDim()];
    for (int j = 0; j < q.length; j++) q[j] = (float) (r.nextGaussian() * 1.5);
    return new Setup(kv, new Batch(tok, pos, seq, tables, new int[0]), q, ks, vs, lens);
  }

  static float[] row(float[] a, int off, int n) {
    float[] x = new float[n];
    System.arraycopy(a, off, x, 0, n);
    return x;
  }

  @ParameterizedTest(name = "heads {0}/{1}, head dim {2}, page {3}")
  @CsvSource({"4, 4, 64, 16", "8, 2, 64, 4", "6, 3, 8, 16", "4, 1, 12, 5", "2, 2, 80, 16", "3, 1, 128, 7",
      "2, 1, 72, 3", "2, 2, 200, 16", "2, 1, 17, 2"})
  void f16FlashAttentionIsLlamaCppBitForBit(int heads, int kvHeads, int hd, int pageSize) {
    ModelConfig c = config(heads, kvHeads, hd);
    int[] lens = {1, 2, pageSize, pageSize + 1, 3 * pageSize - 1, 45, 130};
    Setup s = setup(c, KvCacheDtype.F16, pageSize, lens, hd * 31L + heads);
    int n = s.batch().size();
    float[] out = new float[n * c.qDim()];
    try (Parallel pool = new Parallel(2); CpuBackend b = new CpuBackend(pool, 200)) {
      b.attention(s.kv(), 0, s.q(), s.batch(), c, out);
    }
    for (int t = 0; t < n; t++) {
      int sq = s.batch().seq()[t], pos = s.batch().positions()[t];
      for (int h = 0; h < heads; h++) {
        int g = h / (heads / kvHeads);
        float[][] k = new float[pos + 1][], v = new float[pos + 1][];
        for (int p = 0; p <= pos; p++) {
          k[p] = new float[hd];
          v[p] = new float[hd];
          for (int i = 0; i < hd; i++) {
            k[p][i] = GgmlScalar.h(s.k()[sq][p][g * hd + i]);
            v[p][i] = GgmlScalar.h(s.v()[sq][p][g * hd + i]);
          }
        }
        float[] want = GgmlScalar.flashF16(row(s.q(), t * c.qDim() + h * hd, hd), k, v, pos + 1, 1f / (float) Math.sqrt((float) hd));
        for (int i = 0; i < hd; i++) {
          float got = out[t * c.qDim() + h * hd + i];
          assertThat(Float.floatToIntBits(got)).as("token %d (seq %d pos %d) head %d dim %d: %s vs %s", t, sq, pos, h, i, got, want[i])
              .isEqualTo(Float.floatToIntBits(want[i]));
        }
      }
    }
    s.kv().close();
  }

  @ParameterizedTest(name = "heads {0}/{1}, head dim {2}, page {3}")
  @CsvSource({"4, 4, 64, 16", "8, 2, 64, 4", "6, 3, 8, 16", "2, 1, 17, 2", "3, 1, 128, 7"})
  void f32AttentionUsesLlamaCppKqAndSoftmax(int heads, int kvHeads, int hd, int pageSize) {
    ModelConfig c = config(heads, kvHeads, hd);
    int[] lens = {1, 2, pageSize + 1, 17, 33, 130};
    Setup s = setup(c, KvCacheDtype.F32, pageSize, lens, hd * 17L + heads);
    int n = s.batch().size();
    float[] out = new float[n * c.qDim()];
    try (Parallel pool = new Parallel(2); CpuBackend b = new CpuBackend(pool, 200)) {
      b.attention(s.kv(), 0, s.q(), s.batch(), c, out);
    }
    float scale = 1f / (float) Math.sqrt((float) hd);
    for (int t = 0; t < n; t++) {
      int sq = s.batch().seq()[t], pos = s.batch().positions()[t];
      for (int h = 0; h < heads; h++) {
        int g = h / (heads / kvHeads);
        float[] qv = row(s.q(), t * c.qDim() + h * hd, hd);
        int end = (pos + 16) / 16 * 16;
        float[] w = new float[end];
        java.util.Arrays.fill(w, Float.NEGATIVE_INFINITY);
        float max = Float.NEGATIVE_INFINITY;
        for (int p = 0; p <= pos; p++) {
          w[p] = GgmlScalar.vecDotF32(row(s.k()[sq][p], g * hd, hd), qv, hd) * scale;
          max = Math.max(max, w[p]);
        }
        double sum = 0;
        for (int p0 = 0; p0 < end; p0 += 16) {
          float[] lane = new float[16];
          for (int l = 0; l < 16; l++) lane[l] = w[p0 + l] = GgmlScalar.vexpf(w[p0 + l] - max);
          sum += GgmlScalar.reduce16(lane);
        }
        float inv = (float) (1.0 / sum);
        float[] want = new float[hd];
        for (int p = 0; p <= pos; p++) {
          float a = w[p] * inv;
          for (int i = 0; i < hd; i++) want[i] = Math.fma(s.v()[sq][p][g * hd + i], a, want[i]);
        }
        for (int i = 0; i < hd; i++) {
          float got = out[t * c.qDim() + h * hd + i];
          assertThat(Float.floatToIntBits(got)).as("token %d head %d dim %d: %s vs %s", t, h, i, got, want[i])
              .isEqualTo(Float.floatToIntBits(want[i]));
        }
      }
    }
    s.kv().close();
  }

  @ParameterizedTest(name = "heads {0}/{1}, head dim {2}, page {3}, {4} KV")
  @CsvSource({"4, 4, 64, 16, F16", "8, 2, 64, 4, F16", "14, 2, 64, 16, F32", "6, 3, 8, 16, F16", "2, 1, 17, 2, F32",
      "3, 1, 128, 7, F16", "2, 2, 80, 16, F16"})
  void fastAttentionIsSoftmaxAttentionWithinRounding(int heads, int kvHeads, int hd, int pageSize, KvCacheDtype dtype) {
    ModelConfig c = config(heads, kvHeads, hd);
    int[] lens = {1, 2, pageSize, pageSize + 1, 16, 17, 33, 130};
    Setup s = setup(c, dtype, pageSize, lens, hd * 13L + heads);
    int n = s.batch().size();
    float[] out = new float[n * c.qDim()];
    try (Parallel pool = new Parallel(2); CpuBackend b = new CpuBackend(pool, 200, Numerics.FAST)) {
      b.attention(s.kv(), 0, s.q(), s.batch(), c, out);
    }
    double scale = 1 / Math.sqrt(hd);
    for (int t = 0; t < n; t++) {
      int sq = s.batch().seq()[t], pos = s.batch().positions()[t];
      for (int h = 0; h < heads; h++) {
        int g = h / (heads / kvHeads);
        // in double, on the values the cache holds (F16-rounded for an F16 cache)
        double[] w = new double[pos + 1];
        double max = Double.NEGATIVE_INFINITY, sum = 0, largest = 0;
        for (int p = 0; p <= pos; p++) {
          double d = 0;
          for (int i = 0; i < hd; i++) d += (double) s.q()[t * c.qDim() + h * hd + i] * cached(dtype, s.k()[sq][p][g * hd + i]);
          w[p] = d * scale;
          max = Math.max(max, w[p]);
        }
        for (int p = 0; p <= pos; p++) sum += w[p] = Math.exp(w[p] - max);
        double[] want = new double[hd];
        for (int p = 0; p <= pos; p++) {
          for (int i = 0; i < hd; i++) {
            double v = cached(dtype, s.v()[sq][p][g * hd + i]);
            want[i] += w[p] / sum * v;
            largest = Math.max(largest, Math.abs(v));
          }
        }
        for (int i = 0; i < hd; i++) {
          float got = out[t * c.qDim() + h * hd + i];
          assertThat((double) got).as("token %d (seq %d pos %d) head %d dim %d", t, sq, pos, h, i)
              .isCloseTo(want[i], org.assertj.core.api.Assertions.within(2e-6 * largest + 1e-6 * Math.abs(want[i])));
        }
      }
    }
    s.kv().close();
  }

  private static double cached(KvCacheDtype dtype, float x) {
    return dtype == KvCacheDtype.F16 ? GgmlScalar.h(x) : x;
  }

  @ParameterizedTest(name = "{0} KV, {1} numerics")
  @CsvSource({"F16, LLAMACPP", "F32, LLAMACPP", "F16, FAST", "F32, FAST"})
  void eachTokenAloneGivesTheBitsItGetsInABatch(KvCacheDtype dtype, Numerics numerics) {
    // one token per call: the work is split into slices of query heads (7 heads per KV head here)
    ModelConfig c = config(14, 2, 64);
    Setup s = setup(c, dtype, 16, new int[] {3, 40, 77}, 5);
    int n = s.batch().size();
    float[] batched = new float[n * c.qDim()];
    try (Parallel pool = new Parallel(3); CpuBackend b = new CpuBackend(pool, 200, numerics)) {
      b.attention(s.kv(), 0, s.q(), s.batch(), c, batched);
      for (int t = 0; t < n; t++) {
        Batch one = new Batch(new int[1], new int[] {s.batch().positions()[t]}, new int[] {s.batch().seq()[t]},
            s.batch().blockTables(), new int[0]);
        float[] alone = new float[c.qDim()];
        b.attention(s.kv(), 0, row(s.q(), t * c.qDim(), c.qDim()), one, c, alone);
        assertThat(alone).as("token %d alone", t).containsExactly(row(batched, t * c.qDim(), c.qDim()));
      }
    }
    s.kv().close();
  }

  @Test
  void f16CacheTakesHalfTheBytesOfF32() {
    assertThat(PagedKvCache.bytesPerPage(3, 64, 16, KvCacheDtype.F16) * 2)
        .isEqualTo(PagedKvCache.bytesPerPage(3, 64, 16, KvCacheDtype.F32));
    try (PagedKvCache a = new PagedKvCache(3, 64, 5, 16, KvCacheDtype.F16);
        PagedKvCache b = new PagedKvCache(3, 64, 5, 16, KvCacheDtype.F32)) {
      assertThat(a.byteSize()).isEqualTo(5 * PagedKvCache.bytesPerPage(3, 64, 16, KvCacheDtype.F16));
      assertThat(b.byteSize()).isEqualTo(2 * a.byteSize());
    }
    assertThat(KvCacheDtype.parse("F16")).isEqualTo(KvCacheDtype.F16);
    assertThat(KvCacheDtype.parse("float32")).isEqualTo(KvCacheDtype.F32);
  }
}
