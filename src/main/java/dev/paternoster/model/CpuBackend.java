package dev.paternoster.model;

import dev.paternoster.tensor.ActivationQuant;
import dev.paternoster.tensor.Matmul;
import dev.paternoster.tensor.Parallel;
import dev.paternoster.tensor.Q8Activations;
import dev.paternoster.tensor.Weight;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend: Vector API matmul kernels from {@code tensor} and paged attention, spread over
 * a persistent thread pool.
 *
 * <p>Attention is computed per (token, head) with a fixed operation order that depends only on the
 * token's own sequence and position, so results do not change with the batch around it.
 */
public final class CpuBackend implements Backend {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private final Parallel pool;
  private final ThreadLocal<float[]> scores;
  private float[] rounded = new float[0];
  /** Activations quantized once for all the Q8_0/Q4_0 weights that read them. */
  private final Q8Activations q8 = new Q8Activations();

  public CpuBackend(Parallel pool, int maxContext) {
    this.pool = pool;
    // the last S.length() floats hold the lanes of a dot product being summed
    this.scores = ThreadLocal.withInitial(() -> new float[maxContext + S.length()]);
  }

  @Override
  public void matmul(Weight w, float[] x, int nTokens, float[] out) {
    if (Matmul.quantizesActivations(w.type())) {
      // Q8_0/Q4_0: Matmul quantizes the activations to Q8_0 and computes what llama.cpp computes
      Matmul.matmul(w, x, nTokens, out, pool);
      return;
    }
    // Other types: round the activations as llama.cpp does for this weight type (see ActivationQuant).
    int n = nTokens * w.cols();
    if (ActivationQuant.dotType(w.type()) == dev.paternoster.tensor.GGMLType.F32) {
      Matmul.matmul(w, x, nTokens, out, pool);
      return;
    }
    if (rounded.length < n) rounded = new float[n];
    for (int t = 0; t < nTokens; t++) ActivationQuant.round(w.type(), x, t * w.cols(), w.cols(), rounded, t * w.cols());
    Matmul.matmul(w, rounded, nTokens, out, pool);
  }

  @Override
  public void matmul(Weight[] ws, float[] x, int nTokens, float[][] outs) {
    boolean quantized = false;
    for (int i = 0; i < ws.length; i++) {
      Weight w = ws[i];
      if (Matmul.quantizesActivations(w.type()) && w.cols() == ws[0].cols()) {
        if (!quantized) {
          q8.quantize(x, 0, w.cols(), nTokens, w.cols(), pool);
          quantized = true;
        }
        Matmul.matmul(w, q8, outs[i], 0, w.rows(), pool);
      } else {
        matmul(w, x, nTokens, outs[i]);
      }
    }
  }

  @Override
  public void parallelFor(int n, Parallel.RangeTask task) {
    pool.forRange(n, task);
  }

  @Override
  public void attention(PagedKvCache kv, int layer, float[] q, Batch batch, ModelConfig c, float[] out) {
    int heads = c.heads();
    int n = batch.size();
    pool.forRange(n * heads, (start, end) -> {
      float[] sc = scores.get();
      for (int i = start; i < end; i++) attendOne(kv, layer, q, batch, c, out, i / heads, i % heads, sc);
    });
  }

  private static void attendOne(PagedKvCache kv, int layer, float[] q, Batch batch, ModelConfig c,
      float[] out, int t, int h, float[] sc) {
    int hd = c.headDim();
    int group = c.heads() / c.kvHeads();
    int g = h / group;
    int pos = batch.positions()[t];
    int[] table = batch.blockTables()[batch.seq()[t]];
    int ps = kv.pageSize();
    MemorySegment keys = kv.keys[layer];
    MemorySegment values = kv.values[layer];
    int qOff = t * c.qDim() + h * hd;
    long headByte = (long) g * hd * Float.BYTES;
    float scale = (float) (1.0 / Math.sqrt(hd));

    float max = Float.NEGATIVE_INFINITY;
    for (int p = 0; p <= pos; p++) {
      long at = kv.offset(table[p / ps], p % ps) + headByte;
      float s = dot(q, qOff, keys, at, hd, sc) * scale;
      sc[p] = s;
      if (s > max) max = s;
    }
    float sum = 0f;
    for (int p = 0; p <= pos; p++) {
      float e = (float) Math.exp(sc[p] - max);
      sc[p] = e;
      sum += e;
    }
    float inv = 1f / sum;
    int oOff = t * c.qDim() + h * hd;
    java.util.Arrays.fill(out, oOff, oOff + hd, 0f);
    for (int p = 0; p <= pos; p++) {
      long at = kv.offset(table[p / ps], p % ps) + headByte;
      axpy(out, oOff, sc[p] * inv, values, at, hd);
    }
  }

  /**
   * Dot product with a fixed summation order. The lanes are added one by one rather than with
   * {@code reduceLanes}, whose order differs between interpreted and compiled code: a sum that
   * changed with JIT tier would make outputs depend on when a request ran.
   */
  static float dot(float[] a, int aOff, MemorySegment b, long bOff, int n, float[] lanes) {
    int i = 0;
    float sum = 0f;
    if (n >= S.length()) {
      FloatVector acc = FloatVector.zero(S);
      for (; i <= n - S.length(); i += S.length()) {
        FloatVector va = FloatVector.fromArray(S, a, aOff + i);
        FloatVector vb = FloatVector.fromMemorySegment(S, b, bOff + (long) i * Float.BYTES, ByteOrder.nativeOrder());
        acc = va.fma(vb, acc);
      }
      int base = lanes.length - S.length();
      acc.intoArray(lanes, base);
      for (int l = 0; l < S.length(); l++) sum += lanes[base + l];
    }
    for (; i < n; i++) sum += a[aOff + i] * b.get(ValueLayout.JAVA_FLOAT_UNALIGNED, bOff + (long) i * Float.BYTES);
    return sum;
  }

  /** {@code y[yOff..] += alpha * x[..]} over n floats. */
  static void axpy(float[] y, int yOff, float alpha, MemorySegment x, long xOff, int n) {
    int i = 0;
    if (n >= S.length()) {
      FloatVector va = FloatVector.broadcast(S, alpha);
      for (; i <= n - S.length(); i += S.length()) {
        FloatVector vx = FloatVector.fromMemorySegment(S, x, xOff + (long) i * Float.BYTES, ByteOrder.nativeOrder());
        FloatVector vy = FloatVector.fromArray(S, y, yOff + i);
        vx.fma(va, vy).intoArray(y, yOff + i);
      }
    }
    for (; i < n; i++) y[yOff + i] += alpha * x.get(ValueLayout.JAVA_FLOAT_UNALIGNED, xOff + (long) i * Float.BYTES);
  }

  @Override
  public void close() {}
}
