package dev.paternoster.tensor;

import java.util.Objects;

/**
 * Matrix × activations for a batch of tokens: {@code out[t][r] = dot(row r of W, x[t])}.
 *
 * <p>Threads split the rows of W (never the reduction), so each output is computed by one thread
 * from start to end. Batch invariance: the value computed for a token does not depend on how many
 * tokens share the call or where the token sits among them, bit for bit.
 */
public final class Matmul {
  private Matmul() {}

  /**
   * For every token {@code t < nTokens} and row {@code r < w.rows()}:
   * {@code out[t * w.rows() + r] = dot(row r of w, x[t*cols .. t*cols + cols))}.
   */
  public static void matmul(Weight w, float[] x, int nTokens, float[] out, Parallel pool) {
    matmul(w, x, 0, w.cols(), nTokens, out, 0, w.rows(), pool);
  }

  /**
   * Strided form: token {@code t}'s activations are {@code x[xOff + t*xStride ..][0..cols)} and
   * its outputs go to {@code out[outOff + t*outStride + r]}.
   */
  public static void matmul(
      Weight w, float[] x, int xOff, int xStride, int nTokens,
      float[] out, int outOff, int outStride, Parallel pool) {
    multiply(w, x, xOff, xStride, nTokens, out, outOff, outStride, pool, true);
  }

  /**
   * The float kernels for any supported type, Q8_0/Q4_0 included: each weight row decoded to floats
   * and dotted with {@code x} as given, in Paternoster's own fixed order (batch invariant, not
   * llama.cpp's order). Callers wanting llama.cpp's activation rounding apply
   * {@link ActivationQuant#round} first.
   */
  public static void matmulFloat(Weight w, float[] x, int nTokens, float[] out, Parallel pool) {
    multiply(w, x, 0, w.cols(), nTokens, out, 0, w.rows(), pool, false);
  }

  /** Checks the arguments, then runs QuantDot ({@code llamaCpp} and Q8_0/Q4_0) or the float kernels. */
  private static void multiply(
      Weight w, float[] x, int xOff, int xStride, int nTokens,
      float[] out, int outOff, int outStride, Parallel pool, boolean llamaCpp) {
    Objects.requireNonNull(pool, "pool");
    if (!w.type().supported) {
      throw new IllegalArgumentException(w.name() + ": no matmul kernel for weight type " + w.type());
    }
    if (nTokens <= 0) return;
    int cols = w.cols(), rows = w.rows();
    if (xStride < cols || outStride < rows) {
      throw new IllegalArgumentException(w.name() + ": strides (x " + xStride + ", out " + outStride
          + ") smaller than the matrix (" + rows + " x " + cols + ")");
    }
    Objects.checkFromIndexSize(xOff, (long) (nTokens - 1) * xStride + cols, x.length);
    Objects.checkFromIndexSize(outOff, (long) (nTokens - 1) * outStride + rows, out.length);
    if (llamaCpp && quantizesActivations(w.type())) {
      Q8Activations q = ACTIVATIONS.get();
      q.quantize(x, xOff, xStride, nTokens, cols, pool);
      matmul(w, q, out, outOff, outStride, pool);
      return;
    }
    if (llamaCpp && isKQuant(w.type())) {
      Q8KActivations q = K_ACTIVATIONS.get();
      q.quantize(x, xOff, xStride, nTokens, cols, pool);
      matmul(w, q, null, out, outOff, outStride, pool);
      return;
    }
    MatmulTask task = MatmulTask.forCurrentThread();
    task.set(w, x, xOff, xStride, nTokens, out, outOff, outStride);
    try {
      pool.forRange(rows, MatmulTask.ROWS, task);
    } finally {
      task.clear();
    }
  }

  private static final ThreadLocal<Q8Activations> ACTIVATIONS = ThreadLocal.withInitial(Q8Activations::new);
  private static final ThreadLocal<Q8KActivations> K_ACTIVATIONS = ThreadLocal.withInitial(Q8KActivations::new);

  /**
   * Whether weights of type {@code t} are K-quants (Q4_K, Q5_K, Q6_K), which llama.cpp multiplies by
   * activations quantized to Q8_K ({@link Q8KActivations}, {@link KQuantDot}).
   */
  public static boolean isKQuant(GGMLType t) {
    return t == GGMLType.Q4_K || t == GGMLType.Q5_K || t == GGMLType.Q6_K;
  }

  /**
   * Whether llama.cpp multiplies a prompt's rows of {@code w} in another order than single tokens
   * (repacked Q4_K matrices: see {@link KQuantDot}), so that {@link #matmul(Weight, Q8KActivations,
   * boolean[], float[], int, int, Parallel)}'s {@code promptRows} matter.
   */
  public static boolean ordersByPromptRow(Weight w) {
    return KQuantDot.repacked(w);
  }

  /**
   * K-quant weights times Q8_K activations, bit for bit as llama.cpp's x86 CPU backend:
   * {@code out[outOff + t*outStride + r]} for every token t of {@code x} and row r. Tokens with
   * {@code promptRows[t]} (null: none) are multiplied as llama.cpp multiplies a prompt's rows in
   * repacked Q4_K matrices (see {@code Batch.promptRow}); the others as single tokens.
   */
  public static void matmul(Weight w, Q8KActivations x, boolean[] promptRows, float[] out, int outOff, int outStride, Parallel pool) {
    if (!checkQuantized(w, isKQuant(w.type()), "Q8_K", x.cols(), x.tokens(), out, outOff, outStride, pool)) return;
    if (promptRows != null && promptRows.length < x.tokens()) throw new IllegalArgumentException("promptRows shorter than the batch");
    KQuantDot.matmul(w, x, promptRows, out, outOff, outStride, pool);
  }

  /**
   * The argument checks of the quantized-activation matmuls; false when there are no tokens.
   *
   * @param typeFits whether {@code w}'s type takes {@code activations}
   */
  private static boolean checkQuantized(Weight w, boolean typeFits, String activations, int cols, int nTokens,
      float[] out, int outOff, int outStride, Parallel pool) {
    Objects.requireNonNull(pool, "pool");
    if (!typeFits) throw new IllegalArgumentException(w.name() + ": " + w.type() + " weights do not take " + activations + " activations");
    if (cols != w.cols()) throw new IllegalArgumentException(w.name() + ": activations have " + cols + " columns, the matrix " + w.cols());
    if (nTokens <= 0) return false;
    if (outStride < w.rows()) throw new IllegalArgumentException(w.name() + ": output stride " + outStride + " < rows " + w.rows());
    Objects.checkFromIndexSize(outOff, (long) (nTokens - 1) * outStride + w.rows(), out.length);
    return true;
  }

  /**
   * Whether weights of type {@code t} are multiplied as llama.cpp multiplies them, by activations
   * quantized to Q8_0 ({@link Q8Activations}, {@link QuantDot}): Q8_0 and Q4_0. For these types
   * {@link #matmul} quantizes its activations itself; callers applying several such weights to one
   * input can quantize once and call {@link #matmul(Weight, Q8Activations, float[], int, int, Parallel)}.
   */
  public static boolean quantizesActivations(GGMLType t) {
    return t == GGMLType.Q8_0 || t == GGMLType.Q4_0;
  }

  /**
   * Whether multiplying {@code w} by activations quantized to Q8_0, in 16-bit integer lanes, is the
   * fastest way this machine has: Q4_0 with {@link Interleaved} (AVX-512), faster than decoding the
   * weights to floats at every batch size. {@code --numerics fast} then takes it, in llama.cpp's
   * repacked order for every matrix ({@link #matmul(Weight, Q8Activations, float[], int, int, Parallel, boolean)}).
   */
  public static boolean integerLanesAreFastest(Weight w) {
    return Interleaved.applies(w) && w.type() == GGMLType.Q4_0;
  }

  /**
   * Makes, once, what {@link #matmul(Weight, Q8Activations, float[], int, int, Parallel, boolean)}
   * needs for {@code w} beyond its mapped bytes (on AVX-512 machines, {@link Interleaved}'s copy of
   * a Q8_0 or Q4_0 matrix, about 0.7 s per GB on 2 threads); otherwise the first multiplication
   * makes it.
   *
   * @return the bytes it holds (off-heap), 0 if none
   */
  public static long prepare(Weight w, Parallel pool, boolean llamaCppOrder) {
    Interleaved.Packed p = Interleaved.applies(w) ? Interleaved.packed(w, pool, llamaCppOrder) : null;
    return p == null ? 0 : p.data().byteSize();
  }

  /**
   * Q8_0 or Q4_0 weights times quantized activations, bit for bit as llama.cpp's x86 CPU backend:
   * {@code out[outOff + t*outStride + r]} for every token t of {@code x} and row r.
   */
  public static void matmul(Weight w, Q8Activations x, float[] out, int outOff, int outStride, Parallel pool) {
    matmul(w, x, out, outOff, outStride, pool, true);
  }

  /**
   * As {@link #matmul(Weight, Q8Activations, float[], int, int, Parallel)}; with {@code
   * llamaCppOrder} false, Q4_0 matrices that llama.cpp multiplies in its {@code vec_dot} order
   * (the token embedding, row counts off a multiple of 8) take its repacked order instead where
   * that is faster ({@link Interleaved#gemvOnly}): the same exact block sums, another float order.
   */
  public static void matmul(Weight w, Q8Activations x, float[] out, int outOff, int outStride, Parallel pool, boolean llamaCppOrder) {
    if (!checkQuantized(w, quantizesActivations(w.type()), "Q8_0", x.cols(), x.tokens(), out, outOff, outStride, pool)) return;
    if (Interleaved.applies(w) && Interleaved.matmul(w, x, out, outOff, outStride, pool, llamaCppOrder)) return; // 16-bit integer lanes
    QuantDot.matmul(w, x, out, outOff, outStride, pool);
  }

  /**
   * Token counts that reach every float kernel: 1 to 4 in registers ({@link RegisterRows});
   * {@link FusedTiles}' panels of 4 + 1, 8 and 12 + 2 tokens; past its limit the decoded path's
   * 8x3 tiles with an 8x1 and then an 8x2 remainder.
   */
  private static final int[] FLOAT_WARM_UP_TOKENS = {
      1, 2, 3, 4, 5, 8, 14, (FusedTiles.MAX_TOKENS / 3 + 1) * 3 + 1, (FusedTiles.MAX_TOKENS / 3 + 1) * 3 + 2};

  /**
   * Runs every kernel shape of every supported type on small random matrices until the JIT has
   * compiled them, and returns the time taken. Until C2 compiles it, Vector API code runs
   * interpreted or in C1 without intrinsics, hundreds of times slower (a first 16-token matmul of
   * a 900x5000 matrix can take seconds): a server should call this once at startup.
   *
   * @param floatKernels also the float kernels of the quantized types (what {@code --numerics
   *     fast} runs them through); the F32/F16/BF16 kernels are always warmed
   */
  public static java.time.Duration warmUp(Parallel pool, boolean floatKernels) {
    long start = System.nanoTime();
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
    int rows = 2 * DotTiles.ROWS * pool.threads() + 3; // full row groups and a remainder on every thread
    int cols = MatmulTask.BLOCK_COLS + 256 + 16; // two column blocks, the second partial
    for (GGMLType t : GGMLType.values()) {
      if (!t.supported) continue;
      int c = t.blockSize == 1 ? cols + 5 : cols / t.blockSize * t.blockSize; // element types: a scalar tail
      // Q4_0/Q4_K: llama.cpp's order depends on whether the row count is a multiple of 8; Q8_0/Q4_0:
      // Interleaved's two-group tile runs only where a thread's piece holds two groups or more
      int[] rowCounts = quantizesActivations(t) ? new int[] {rows, rows + 5, 4 * Interleaved.ROWS * pool.threads()}
          : isKQuant(t) ? new int[] {rows, rows + 5} : new int[] {rows};
      float[] values = new float[java.util.Arrays.stream(rowCounts).max().getAsInt() * c];
      for (int i = 0; i < values.length; i++) values[i] = (float) rnd.nextGaussian();
      for (int nr : rowCounts) {
        Weight w = mapped(Quantize.weight("warm-up " + t, t, nr, c, java.util.Arrays.copyOf(values, nr * c)));
        int maxTokens = 5; // QuantDot's 4- and 1-token tiles
        float[] x = new float[FLOAT_WARM_UP_TOKENS[FLOAT_WARM_UP_TOKENS.length - 1] * c];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] out = new float[FLOAT_WARM_UP_TOKENS[FLOAT_WARM_UP_TOKENS.length - 1] * nr];
        for (int i = 0; i < 3000; i++) matmul(w, x, 1 + i % maxTokens, out, pool);
        if (floatKernels && t.blockSize > 1) {
          for (int i = 0; i < 3000; i++) matmulFloat(w, x, FLOAT_WARM_UP_TOKENS[i % FLOAT_WARM_UP_TOKENS.length], out, pool);
        }
        if (isKQuant(t)) { // and the prompt rows' order (repacked Q4_K)
          Q8KActivations q = K_ACTIVATIONS.get();
          boolean[] prompt = new boolean[maxTokens];
          java.util.Arrays.fill(prompt, true);
          for (int i = 0; i < 1000; i++) {
            int n = 1 + i % maxTokens;
            q.quantize(x, 0, c, n, c, pool);
            matmul(w, q, prompt, out, 0, nr, pool);
          }
        }
      }
    }
    return java.time.Duration.ofNanos(System.nanoTime() - start);
  }

  /**
   * {@code w} with its bytes in a memory-mapped file, the kind of segment a model's weights are.
   * C2 compiles a kernel's weight loads for the segment classes it has seen there: warmed up on
   * array-backed weights, or even on off-heap memory that is not mapped, the loads of the f16
   * scales went through the generic access path (alignment and bounds checks, virtual calls).
   * Decoding 16 / 32 sequences of Qwen2.5-0.5B Q8_0 with {@code --numerics fast} after the
   * warm-up: 51 / 71 tok/s on array-backed weights, 76 / 100 on mapped ones. The file is deleted
   * once mapped; where no temporary file can be written the weights go off-heap.
   */
  static Weight mapped(Weight w) {
    long size = w.data().byteSize();
    java.lang.foreign.MemorySegment data;
    try {
      java.nio.file.Path file = java.nio.file.Files.createTempFile("paternoster-warm-up", ".bin");
      try (var channel = java.nio.channels.FileChannel.open(file,
          java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
        data = channel.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, size, java.lang.foreign.Arena.ofAuto());
      } finally {
        java.nio.file.Files.deleteIfExists(file);
      }
    } catch (java.io.IOException e) {
      data = java.lang.foreign.Arena.ofAuto().allocate(size, 64);
    }
    data.copyFrom(w.data());
    return new Weight(w.name(), w.type(), w.rows(), w.cols(), data);
  }
}
