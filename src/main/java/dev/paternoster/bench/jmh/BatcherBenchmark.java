package dev.paternoster.bench.jmh;

import dev.paternoster.batch.BatchFunction;
import dev.paternoster.batch.BatcherConfig;
import dev.paternoster.batch.DynamicBatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * What {@link DynamicBatcher} costs and what it buys. Every benchmark operation is one request;
 * each invocation keeps {@value #REQUESTS} requests in flight (submit all, then join all), the way
 * concurrent HTTP callers would, so batches can form.
 *
 * <ul>
 *   <li>{@code overhead*}: a batch function that does nothing ({@code inputs -> inputs}), so the
 *       score is the batcher's own cost per request (queueing, dispatcher hand-off, a virtual
 *       thread per batch, futures) against calling that function directly per request.
 *   <li>{@code throughput*}: a function with a fixed cost per call ({@value #CALL_COST_TOKENS}
 *       CPU tokens, like a kernel launch or a forward pass over padding) plus a cost per item
 *       ({@value #ITEM_COST_TOKENS} tokens), against calling it per request.
 * </ul>
 *
 * One batch at a time ({@code maxConcurrentBatches = 1}); {@code maxWait} is 1 ms but never
 * reached, since {@value #REQUESTS} requests fill every batch.
 */
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class BatcherBenchmark {

  static final int REQUESTS = 256;
  static final int CALL_COST_TOKENS = 4_000;
  static final int ITEM_COST_TOKENS = 100;

  private static final BatchFunction<Integer, Integer> IDENTITY = inputs -> inputs;

  private static final BatchFunction<Integer, Integer> WITH_CALL_COST = inputs -> {
    Blackhole.consumeCPU(CALL_COST_TOKENS);
    for (int i = 0; i < inputs.size(); i++) Blackhole.consumeCPU(ITEM_COST_TOKENS);
    return inputs;
  };

  /** Batchers under test, one pair per maxBatchSize. */
  @State(Scope.Benchmark)
  public static class Batchers {
    @Param({"1", "8", "64"})
    int maxBatchSize;

    DynamicBatcher<Integer, Integer> identity;
    DynamicBatcher<Integer, Integer> withCallCost;

    @Setup(Level.Trial)
    public void start() {
      BatcherConfig config =
          BatcherConfig.builder()
              .maxBatchSize(maxBatchSize)
              .maxWait(Duration.ofMillis(1))
              .maxConcurrentBatches(1)
              .maxQueueSize(4 * REQUESTS)
              .build();
      identity = DynamicBatcher.builder(IDENTITY).name("bench-identity").config(config).start();
      withCallCost =
          DynamicBatcher.builder(WITH_CALL_COST).name("bench-call-cost").config(config).start();
    }

    @TearDown(Level.Trial)
    public void close() {
      identity.close();
      withCallCost.close();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  @OperationsPerInvocation(REQUESTS)
  public void overheadBatched(Batchers batchers, Blackhole blackhole) {
    submitAllAndJoin(batchers.identity, blackhole);
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  @OperationsPerInvocation(REQUESTS)
  public void overheadDirectPerRequest(Blackhole blackhole) throws Exception {
    callPerRequest(IDENTITY, blackhole);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @OperationsPerInvocation(REQUESTS)
  public void throughputBatched(Batchers batchers, Blackhole blackhole) {
    submitAllAndJoin(batchers.withCallCost, blackhole);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @OperationsPerInvocation(REQUESTS)
  public void throughputDirectPerRequest(Blackhole blackhole) throws Exception {
    callPerRequest(WITH_CALL_COST, blackhole);
  }

  private static void submitAllAndJoin(
      DynamicBatcher<Integer, Integer> batcher, Blackhole blackhole) {
    List<CompletableFuture<Integer>> futures = new ArrayList<>(REQUESTS);
    for (int i = 0; i < REQUESTS; i++) futures.add(batcher.submit(i));
    for (CompletableFuture<Integer> future : futures) blackhole.consume(future.join());
  }

  private static void callPerRequest(BatchFunction<Integer, Integer> function, Blackhole blackhole)
      throws Exception {
    for (int i = 0; i < REQUESTS; i++) blackhole.consume(function.apply(List.of(i)).getFirst());
  }

  /**
   * Runs these benchmarks with short settings (1 fork, 2 x 1 s warm-up, 3 x 1 s measurement).
   * An optional argument narrows them by regular expression, e.g. {@code overhead}.
   */
  public static void main(String[] args) throws RunnerException {
    String include = "^" + Pattern.quote(BatcherBenchmark.class.getName()) + "\\."
        + (args.length > 0 ? ".*" + args[0] : "");
    Options options =
        new OptionsBuilder()
            .include(include)
            .forks(1)
            .warmupIterations(2)
            .warmupTime(TimeValue.seconds(1))
            .measurementIterations(3)
            .measurementTime(TimeValue.seconds(1))
            .build();
    new Runner(options).run();
  }
}
