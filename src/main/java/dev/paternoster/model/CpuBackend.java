package dev.paternoster.model;

import dev.paternoster.tensor.ActivationQuant;
import dev.paternoster.tensor.Matmul;
import dev.paternoster.tensor.Parallel;
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

  /** @param maxContext the most positions one sequence's attention reads */
  public CpuBackend(Parallel pool, int maxContext) {
    this.pool = pool;
    this.maxContext = maxContext;
  }

  @Override
  public void matmul(Weight w, float[] x, int nTokens, float[] out) {
    // Round the activations as llama.cpp does for this weight type (see ActivationQuant), so the
    // kernels compute what llama.cpp computes.
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
  public void parallelFor(int n, Parallel.RangeTask task) {
    pool.forRange(n, task);
  }

  @Override
  public void attention(PagedKvCache kv, int layer, float[] q, Batch batch, ModelConfig c, float[] out) {
    int heads = c.heads();
    int n = batch.size();
    boolean f16 = kv.dtype() == KvCacheDtype.F16;
    pool.forRange(n * heads, (start, end) -> {
      Attention.Scratch sc = scratch(c.headDim());
      for (int i = start; i < end; i++) {
        if (f16) {
          Attention.flashF16(kv, layer, q, batch, c, out, i / heads, i % heads, sc);
        } else {
          Attention.f32(kv, layer, q, batch, c, out, i / heads, i % heads, sc);
        }
      }
    });
  }

  /** This thread's attention scratch (allocated on a thread's first attention call). */
  private Attention.Scratch scratch(int headDim) {
    Attention.Scratch sc = scratch.get();
    if (sc == null || !sc.fits(headDim, maxContext)) {
      sc = new Attention.Scratch(headDim, maxContext);
      scratch.set(sc);
    }
    return sc;
  }

  @Override
  public void close() {}
}
