package dev.paternoster.bench.jmh;

import dev.paternoster.tensor.GGMLType;
import dev.paternoster.tensor.Matmul;
import dev.paternoster.tensor.Parallel;
import dev.paternoster.tensor.Quantize;
import dev.paternoster.tensor.Weight;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@link Matmul#matmul} on the FFN shapes of Qwen2.5-0.5B (hidden 896, intermediate 4864):
 * {@code 4864x896} is gate/up (4864 rows of 896), {@code 896x4864} is down. Weights are random,
 * quantized into off-heap memory as a mapped GGUF file would be, and run on
 * {@link Parallel#shared()}.
 *
 * <p>For Q8_0 and Q4_0 a call includes quantizing the activations to Q8_0 ({@code Q8Activations}):
 * those matmuls compute llama.cpp's exact arithmetic ({@code QuantDot}). docs/PERFORMANCE.md has
 * the numbers of the float path they replaced.
 *
 * <p>Sample mode: every call is timed, so the table can show the median and the fastest call
 * besides the mean. On a shared machine the mean mostly measures the neighbours; the minimum is
 * what the kernel does when it gets its cores.
 *
 * <p>{@link #main} runs a short JMH session and prints time per call, weight bandwidth (bytes of
 * the encoded matrix per call) and arithmetic rate (2·rows·cols·tokens per call). Arguments: the
 * types to run (default Q8_0 Q4_0 F32 Q4_K), optionally {@code tokens=1,4}, {@code shape=896x4864} and
 * {@code numerics=llamacpp,fast} (fast: the float kernels, {@link Matmul#matmulFloat}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MatmulBenchmark {
  @Param({"Q8_0", "Q4_0", "F32", "Q4_K"})
  public String type;

  @Param({"1", "4", "16", "64"})
  public int tokens;

  /** llamacpp: llama.cpp's exact arithmetic (QuantDot, KQuantDot); fast: the float kernels. */
  @Param({"llamacpp"})
  public String numerics;

  /** rows x cols. */
  @Param({"896x4864", "4864x896"})
  public String shape;

  private Arena arena;
  private Weight weight;
  private float[] x;
  private float[] out;
  private Parallel pool;

  @Setup(Level.Trial)
  public void setup() {
    int rows = rows(shape), cols = cols(shape);
    GGMLType t = GGMLType.valueOf(type);
    SplittableRandom rnd = new SplittableRandom(1);
    float[] v = new float[cols];
    long rowBytes = t.bytesFor(cols);
    arena = Arena.ofShared();
    MemorySegment data = arena.allocate(rows * rowBytes, 64);
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < cols; i++) v[i] = (float) (rnd.nextGaussian() * 0.02);
      Quantize.row(t, v, 0, cols, data, r * rowBytes);
    }
    weight = new Weight("bench", t, rows, cols, data);
    x = new float[tokens * cols];
    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
    out = new float[tokens * rows];
    pool = Parallel.shared();
    // Each trial is a fresh JVM, and Vector API code is very slow until C2 compiles it (a 1 s
    // JMH warm-up iteration may not even finish one interpreted call): get the kernels compiled
    // before JMH starts measuring.
    long deadline = System.nanoTime() + 4_000_000_000L;
    for (int i = 0; i < 300 && System.nanoTime() < deadline; i++) Matmul.matmul(weight, x, tokens, out, pool);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    arena.close();
  }

  @Benchmark
  public float[] matmul() {
    if (numerics.equals("fast")) Matmul.matmulFloat(weight, x, tokens, out, pool);
    else Matmul.matmul(weight, x, tokens, out, pool);
    return out;
  }

  static int rows(String shape) {
    return Integer.parseInt(shape.substring(0, shape.indexOf('x')));
  }

  static int cols(String shape) {
    return Integer.parseInt(shape.substring(shape.indexOf('x') + 1));
  }

  public static void main(String[] args) throws RunnerException {
    List<String> types = new ArrayList<>();
    String tokens = "1,4,16,64", shapes = "896x4864,4864x896", numerics = "llamacpp";
    for (String a : args) {
      if (a.startsWith("tokens=")) tokens = a.substring(7);
      else if (a.startsWith("numerics=")) numerics = a.substring(9);
      else if (a.startsWith("shape=")) shapes = a.substring(6);
      else types.add(a);
    }
    if (types.isEmpty()) types = List.of("Q8_0", "Q4_0", "F32", "Q4_K");
    List<RunResult> results = new ArrayList<>();
    for (String type : types) {
      // K-quants need rows of whole 256-value super-blocks: 4864x896 has no such layout
      // (llama.cpp quantizes those tensors to another type), so it is skipped for them.
      int blockSize = GGMLType.valueOf(type).blockSize;
      String[] fitting = Arrays.stream(shapes.split(",")).filter(sh -> cols(sh) % blockSize == 0).toArray(String[]::new);
      if (fitting.length == 0) continue;
      ChainedOptionsBuilder opts = new OptionsBuilder()
          .include(MatmulBenchmark.class.getName() + ".matmul")
          .param("type", type)
          .param("tokens", tokens.split(","))
          .param("shape", fitting)
          .param("numerics", numerics.split(","))
          .forks(1)
          .warmupIterations(2).warmupTime(TimeValue.seconds(1))
          .measurementIterations(3).measurementTime(TimeValue.seconds(1))
          .jvmArgsAppend("--add-modules", "jdk.incubator.vector",
              "-Dpaternoster.threads=" + Integer.getInteger("paternoster.threads", Runtime.getRuntime().availableProcessors()));
      results.addAll(new Runner(opts.build()).run());
    }

    System.out.println();
    System.out.printf(Locale.ROOT, "%-6s %-9s %-8s %6s %10s %10s %10s %9s %9s %9s %9s%n", "type", "shape", "numerics", "tokens",
        "mean us", "p50 us", "min us", "GB/s p50", "GB/s min", "GFLOP p50", "GFLOP min");
    for (RunResult r : results) {
      var p = r.getParams();
      String s = p.getParam("shape");
      int rows = rows(s), cols = cols(s), t = Integer.parseInt(p.getParam("tokens"));
      GGMLType ty = GGMLType.valueOf(p.getParam("type"));
      var stats = r.getPrimaryResult().getStatistics();
      double mean = stats.getMean(), p50 = stats.getPercentile(50), min = stats.getMin();
      double bytes = (double) rows * ty.bytesFor(cols);
      double flops = 2.0 * rows * cols * t;
      System.out.printf(Locale.ROOT, "%-6s %-9s %-8s %6d %10.1f %10.1f %10.1f %9.1f %9.1f %9.1f %9.1f%n",
          ty, s, p.getParam("numerics"), t, mean, p50, min, bytes / (p50 * 1e3), bytes / (min * 1e3), flops / (p50 * 1e3), flops / (min * 1e3));
    }
  }
}
