package dev.paternoster.model;

import dev.paternoster.tensor.ActivationQuant;
import dev.paternoster.tensor.Matmul;
import dev.paternoster.tensor.Parallel;
import dev.paternoster.tensor.Q8Activations;
import dev.paternoster.tensor.Weight;

/**
 * The CPU backend: Vector API matmul kernels from {@code tensor} and paged attention, spread over
 * a persistent thread pool.
 *
 * <p>Attention is computed per (token, head) with a fixed operation order that depends only on the
 * token's own sequence and position, so results do not change with the batch around it: with an
 * F16 cache llama.cpp's flash-attention arithmetic, with an F32 cache its softmax and KQ products
 * (see {@link Attention}).
 */
public final class CpuBackend implements Backend {
  private final Parallel pool;
  private final ThreadLocal<Attention.Scratch> scratch = new ThreadLocal<>();
  private final int maxContext;
  private float[] rounded = new float[0];
  /** Activations quantized once for all the Q8_0/Q4_0 weights that read them. */
  private final Q8Activations q8 = new Q8Activations();

  private final Numerics numerics;

  /** @param maxContext the most positions one sequence's attention reads */
  public CpuBackend(Parallel pool, int maxContext) {
    this(pool, maxContext, Numerics.LLAMACPP);
  }

  /**
   * @param maxContext the most positions one sequence's attention reads
   * @param numerics the arithmetic of the Q8_0/Q4_0 matmuls
   */
  public CpuBackend(Parallel pool, int maxContext, Numerics numerics) {
    this.pool = pool;
    this.maxContext = maxContext;
    this.numerics = java.util.Objects.requireNonNull(numerics, "numerics");
  }

  @Override
  public void matmul(Weight w, float[] x, int nTokens, float[] out) {
    if (Matmul.quantizesActivations(w.type()) && numerics == Numerics.LLAMACPP) {
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
    Matmul.matmulFloat(w, rounded, nTokens, out, pool);
  }

  @Override
  public void matmul(Weight[] ws, float[] x, int nTokens, float[][] outs) {
    boolean quantized = false;
    for (int i = 0; i < ws.length; i++) {
      Weight w = ws[i];
      if (Matmul.quantizesActivations(w.type()) && w.cols() == ws[0].cols() && numerics == Numerics.LLAMACPP) {
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
    int n = batch.size();
    int kvHeads = c.kvHeads();
    int group = c.heads() / kvHeads;
    // Work item: (token, KV head, slice of that head's query heads). The query heads sharing a KV
    // head read each K/V row once; slices keep threads busy when tokens x KV heads are few. Every
    // head's arithmetic is the same whatever the slicing, so results do not depend on it.
    int slices = Math.min(group, Math.max(1, (2 * pool.threads() + n * kvHeads - 1) / (n * kvHeads)));
    int per = (group + slices - 1) / slices;
    slices = (group + per - 1) / per;
    int units = slices;
    boolean f16 = kv.dtype() == KvCacheDtype.F16;
    pool.forRange(n * kvHeads * units, (start, end) -> {
      Attention.Scratch sc = scratch(per, c.headDim(), !f16);
      for (int i = start; i < end; i++) {
        int slice = i % units;
        int g = (i / units) % kvHeads;
        int t = i / (units * kvHeads);
        int h0 = g * group + slice * per;
        int h1 = Math.min(h0 + per, (g + 1) * group);
        if (f16) {
          Attention.flashF16(kv, layer, q, batch, c, out, t, g, h0, h1, sc);
        } else {
          Attention.f32(kv, layer, q, batch, c, out, t, g, h0, h1, sc);
        }
      }
    });
  }

  /** This thread's attention scratch (allocated on first use, or when a larger one is needed). */
  private Attention.Scratch scratch(int heads, int headDim, boolean f32) {
    Attention.Scratch sc = scratch.get();
    if (sc == null || !sc.fits(heads, headDim, maxContext, f32)) {
      sc = new Attention.Scratch(heads, headDim, maxContext, f32);
      scratch.set(sc);
    }
    return sc;
  }

  @Override
  public void close() {}
}
