package dev.paternoster.model;

import dev.paternoster.tensor.ActivationQuant;
import dev.paternoster.tensor.GGMLType;
import dev.paternoster.tensor.Matmul;
import dev.paternoster.tensor.Parallel;
import dev.paternoster.tensor.Q8Activations;
import dev.paternoster.tensor.Q8KActivations;
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
  // What of the current input is prepared (see multiply): its Q8_0 quantization in q8, its rounding
  // for activations of type roundedFor in rounded, both for rows of preparedCols values.
  private boolean quantized, quantizedK;
  /** Rows llama.cpp multiplies in its prompt kernels (repacked Q4_K), or null. */
  private boolean[] promptRows;
  private GGMLType roundedFor;
  private int preparedCols = -1;
  /** Activations quantized once for all the Q8_0/Q4_0 weights that read them. */
  private final Q8Activations q8 = new Q8Activations();
  private final Q8KActivations q8k = new Q8KActivations();

  private final Numerics numerics;

  /** @param maxContext the most positions one sequence's attention reads */
  public CpuBackend(Parallel pool, int maxContext) {
    this(pool, maxContext, Numerics.LLAMACPP);
  }

  /**
   * @param maxContext the most positions one sequence's attention reads
   * @param numerics the arithmetic of the quantized matmuls and of attention
   */
  public CpuBackend(Parallel pool, int maxContext, Numerics numerics) {
    this.pool = pool;
    this.maxContext = maxContext;
    this.numerics = java.util.Objects.requireNonNull(numerics, "numerics");
  }

  @Override
  public void matmul(Weight w, float[] x, int nTokens, float[] out) {
    newInput();
    multiply(w, x, nTokens, out);
  }

  /**
   * Weights reading one input share its preparation: one Q8_0 quantization for the Q8_0/Q4_0
   * kernels that reproduce llama.cpp, and one rounding per activation type for the float kernels
   * (q/k/v and gate/up of a K-quant model round once), never one per weight.
   */
  @Override
  public void matmul(Weight[] ws, float[] x, int nTokens, float[][] outs) {
    newInput();
    for (int i = 0; i < ws.length; i++) multiply(ws[i], x, nTokens, outs[i]);
  }

  @Override
  public void promptRows(boolean[] rows) {
    promptRows = rows;
  }

  @Override
  public boolean ordersByPromptRow(Weight w) {
    return numerics == Numerics.LLAMACPP && Matmul.ordersByPromptRow(w);
  }

  /** Forgets the prepared activations: the next {@link #multiply} reads a new input. */
  private void newInput() {
    quantized = false;
    quantizedK = false;
    roundedFor = null;
    preparedCols = -1;
  }

  @Override
  public long prepare(Weight w) {
    return multipliesQuantized(w) ? Matmul.prepare(w, pool, numerics == Numerics.LLAMACPP) : 0;
  }

  /** Whether {@code w} is multiplied by activations quantized to Q8_0 (llama.cpp's way). */
  private boolean multipliesQuantized(Weight w) {
    return Matmul.quantizesActivations(w.type()) && (numerics == Numerics.LLAMACPP || Matmul.integerLanesAreFastest(w));
  }

  private void multiply(Weight w, float[] x, int nTokens, float[] out) {
    int cols = w.cols();
    if (cols != preparedCols) { // another shape reads the input differently: prepare it again
      newInput();
      preparedCols = cols;
    }
    if (multipliesQuantized(w)) {
      // Q8_0/Q4_0: activations quantized to Q8_0, products computed as llama.cpp computes them
      // (under fast numerics too where that is the fastest way, then in one order for all Q4_0)
      if (!quantized) {
        q8.quantize(x, 0, cols, nTokens, cols, pool);
        quantized = true;
      }
      Matmul.matmul(w, q8, out, 0, w.rows(), pool, numerics == Numerics.LLAMACPP);
      return;
    }
    if (Matmul.isKQuant(w.type()) && numerics == Numerics.LLAMACPP) {
      // Q4_K/Q5_K/Q6_K: activations quantized to Q8_K, products computed as llama.cpp computes them
      if (!quantizedK) {
        q8k.quantize(x, 0, cols, nTokens, cols, pool);
        quantizedK = true;
      }
      Matmul.matmul(w, q8k, promptRows, out, 0, w.rows(), pool);
      return;
    }
    // The float kernels: activations rounded as llama.cpp rounds them for this type (ActivationQuant)
    GGMLType dot = ActivationQuant.dotType(w.type());
    if (dot == GGMLType.F32) {
      Matmul.matmulFloat(w, x, nTokens, out, pool);
      return;
    }
    if (dot != roundedFor) {
      int n = nTokens * cols;
      if (rounded.length < n) rounded = new float[n];
      for (int t = 0; t < nTokens; t++) ActivationQuant.round(w.type(), x, t * cols, cols, rounded, t * cols);
      roundedFor = dot;
    }
    Matmul.matmulFloat(w, rounded, nTokens, out, pool);
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
    boolean fast = numerics == Numerics.FAST, f16 = kv.dtype() == KvCacheDtype.F16;
    pool.forRange(n * kvHeads * units, (start, end) -> {
      Attention.Scratch sc = scratch(per, c.headDim(), fast || !f16);
      for (int i = start; i < end; i++) {
        int slice = i % units;
        int g = (i / units) % kvHeads;
        int t = i / (units * kvHeads);
        int h0 = g * group + slice * per;
        int h1 = Math.min(h0 + per, (g + 1) * group);
        if (fast) {
          Attention.fast(kv, layer, q, batch, c, out, t, g, h0, h1, sc);
        } else if (f16) {
          Attention.flashF16(kv, layer, q, batch, c, out, t, g, h0, h1, sc);
        } else {
          Attention.f32(kv, layer, q, batch, c, out, t, g, h0, h1, sc);
        }
      }
    });
  }

  /** This thread's attention scratch (allocated on first use, or when a larger one is needed). */
  private Attention.Scratch scratch(int heads, int headDim, boolean twoPass) {
    Attention.Scratch sc = scratch.get();
    if (sc == null || !sc.fits(heads, headDim, maxContext, twoPass)) {
      sc = new Attention.Scratch(heads, headDim, maxContext, twoPass);
      scratch.set(sc);
    }
    return sc;
  }

  @Override
  public void close() {}
}
