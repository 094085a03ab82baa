package dev.paternoster.bench.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Why the single-token kernels read rows from far-apart runs ({@code MatmulTask.inRegisters}):
 * the same Q8_0 dot-product loop over 512 MiB of blocks, four rows at a time, either four
 * neighbouring rows ({@code neighbours}) or the i-th row of four far-apart runs ({@code farApart}),
 * one row after another with one accumulator chain ({@code inOrder}: a single sequential stream
 * per thread), and a plain 512-bit read of the same memory ({@code read}) for the machine's ceiling. Two
 * threads, each on its own half, as the matmul pool splits rows.
 *
 * <p>{@link #main} prints GB/s per pattern and row size. Arguments: {@code rowBytes=952,5168}
 * (Q8_0 rows of 896 and 4864 columns by default).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(2)
public class RowStreamBenchmark {
  private static final long BYTES = 512L << 20;
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  /** As many bytes as F has floats: one byte vector widens to one float vector. */
  private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));
  private static final VectorSpecies<Byte> WIDE = ByteVector.SPECIES_PREFERRED;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /** read, neighbours, farApart or inOrder. */
  @Param({"read", "neighbours", "farApart", "inOrder"})
  public String pattern;

  /** Bytes per Q8_0 row (34 per 32 columns). */
  @Param({"952", "5168"})
  public int rowBytes;

  private Arena arena;
  private MemorySegment data;
  private final float[] x = new float[8192];

  /** Which half of the memory a benchmark thread reads. */
  @State(Scope.Thread)
  public static class Half {
    private static final AtomicInteger NEXT = new AtomicInteger();
    int index;

    @Setup(Level.Trial)
    public void assign() {
      index = NEXT.getAndIncrement() % 2;
    }
  }

  @Setup(Level.Trial)
  public void setup() {
    arena = Arena.ofShared();
    data = arena.allocate(BYTES, 4096);
    for (long o = 0; o < BYTES; o += 8) data.set(ValueLayout.JAVA_LONG_UNALIGNED, o, (o * 0x9E3779B97F4A7C15L) & 0x3b3b3b3b3b3b3b3bL);
    for (int i = 0; i < x.length; i++) x[i] = (i % 7) * 0.01f;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    arena.close();
  }

  @Benchmark
  public float stream(Half h) {
    long half = BYTES / 2 / rowBytes * rowBytes, start = h.index * half;
    int rows = (int) (half / rowBytes), cols = rowBytes / 34 * 32;
    return switch (pattern) {
      case "read" -> read(start, start + half);
      case "neighbours" -> rows(start, rows / 4 * 4, 1, cols);
      case "inOrder" -> inOrder(start, rows, cols);
      default -> rows(start, rows / 4 * 4, rows / 4, cols);
    };
  }

  private float read(long from, long to) {
    ByteVector s = ByteVector.zero(WIDE);
    for (long o = from; o + WIDE.length() <= to; o += WIDE.length()) s = s.add(ByteVector.fromMemorySegment(WIDE, data, o, LE));
    return s.reduceLanes(VectorOperators.ADD);
  }

  /**
   * Rows {@code [0, n)} from {@code base}, four per call: rows i, i+step, i+2*step, i+3*step (step 1:
   * neighbours, in groups of four; step n/4: the i-th row of four runs).
   */
  private float rows(long base, int n, int step, int cols) {
    float sum = 0;
    for (int g = 0; g < n / 4; g++) {
      int i = step == 1 ? 4 * g : g;
      sum += dot4(base + (long) i * rowBytes, (long) step * rowBytes, cols);
    }
    return sum;
  }

  /** Rows {@code [0, n)} from {@code base}, one after another. */
  private float inOrder(long base, int n, int cols) {
    float sum = 0;
    for (int i = 0; i < n; i++) sum += dot1(base + (long) i * rowBytes, cols);
    return sum;
  }

  /** One Q8_0 row times x: one accumulator chain. */
  private float dot1(long o, int cols) {
    FloatVector a = FloatVector.zero(F);
    for (int j = 0; j < cols; j += 32) {
      float d = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o));
      for (int c = 0; c < 32; c += F.length()) {
        FloatVector v = FloatVector.fromArray(F, x, j + c);
        a = ((FloatVector) ByteVector.fromMemorySegment(B, data, o + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d).fma(v, a);
      }
      o += 34;
    }
    return a.reduceLanes(VectorOperators.ADD);
  }

  /** Four Q8_0 rows (stride apart) times x, as the single-token float kernel computes them. */
  private float dot4(long row0, long stride, int cols) {
    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
    long o0 = row0, o1 = row0 + stride, o2 = row0 + 2 * stride, o3 = row0 + 3 * stride;
    for (int j = 0; j < cols; j += 32) {
      float d0 = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o0));
      float d1 = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o1));
      float d2 = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o2));
      float d3 = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o3));
      for (int c = 0; c < 32; c += F.length()) {
        FloatVector v = FloatVector.fromArray(F, x, j + c);
        a0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(v, a0);
        a1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(v, a1);
        a2 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o2 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(v, a2);
        a3 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o3 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(v, a3);
      }
      o0 += 34;
      o1 += 34;
      o2 += 34;
      o3 += 34;
    }
    return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
  }

  public static void main(String[] args) throws RunnerException {
    String rowBytes = "952,5168";
    for (String a : args) {
      if (a.startsWith("rowBytes=")) rowBytes = a.substring(9);
    }
    List<RunResult> results = new ArrayList<>(new Runner(new OptionsBuilder()
        .include(RowStreamBenchmark.class.getName() + ".stream")
        .param("rowBytes", rowBytes.split(","))
        .forks(1)
        .warmupIterations(2).warmupTime(TimeValue.seconds(2))
        .measurementIterations(3).measurementTime(TimeValue.seconds(2))
        .jvmArgsAppend("--add-modules", "jdk.incubator.vector")
        .build()).run());
    System.out.println();
    System.out.printf(Locale.ROOT, "%-10s %9s %10s %9s%n", "pattern", "rowBytes", "p50 ms", "GB/s");
    for (RunResult r : results) {
      var p = r.getParams();
      double p50 = r.getPrimaryResult().getStatistics().getPercentile(50);
      // each of the two threads reads half of the memory per call
      System.out.printf(Locale.ROOT, "%-10s %9s %10.1f %9.1f%n", p.getParam("pattern"), p.getParam("rowBytes"), p50,
          BYTES / 2 / (p50 * 1e-3) * 2 / 1e9);
    }
  }
}
