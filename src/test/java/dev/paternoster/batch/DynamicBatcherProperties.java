package dev.paternoster.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * Random sequences of submits (some poisoned so their batch throws or returns too few results),
 * cancels and clock jumps, against random configurations, ended by either shutdown mode. However
 * the threads interleave, every future must complete exactly once with the outcome its history
 * allows, and nothing may be lost or dispatched twice.
 */
class DynamicBatcherProperties {

  enum Kind { OK, THROW, SHORT }

  record Input(int id, Kind kind) {}

  sealed interface Action permits Submit, Cancel, Advance {}

  record Submit(Kind kind) implements Action {}

  /** Cancels the {@code which}-th accepted future so far (modulo their count). */
  record Cancel(int which) implements Action {}

  record Advance(int millis) implements Action {}

  static final class Poison extends RuntimeException {
    Poison() {
      super("poisoned batch", null, false, false);
    }
  }

  @Property(tries = 200)
  void everyFutureCompletesExactlyOnceAndNothingIsLost(
      @ForAll @IntRange(min = 1, max = 5) int maxBatchSize,
      @ForAll @IntRange(min = 0, max = 5) int maxWaitMillis,
      @ForAll @IntRange(min = 1, max = 3) int maxConcurrentBatches,
      @ForAll @IntRange(min = 0, max = 6) int extraQueueRoom,
      @ForAll ShutdownMode shutdownMode,
      @ForAll("actions") List<Action> actions) {
    ManualClock clock = new ManualClock();
    Harness harness =
        new Harness(
            new BatcherConfig(
                maxBatchSize,
                Duration.ofMillis(maxWaitMillis),
                maxConcurrentBatches,
                maxBatchSize + extraQueueRoom),
            clock);

    for (Action action : actions) harness.perform(action);
    harness.batcher.close(shutdownMode);

    harness.verify(shutdownMode);
  }

  /** The same invariants with two threads submitting and cancelling at once on the real clock. */
  @Property(tries = 40)
  void concurrentCallersOnTheRealClockLoseNothing(
      @ForAll @IntRange(min = 1, max = 5) int maxBatchSize,
      @ForAll @IntRange(min = 0, max = 1) int maxWaitMillis,
      @ForAll @IntRange(min = 1, max = 3) int maxConcurrentBatches,
      @ForAll ShutdownMode shutdownMode,
      @ForAll("actions") List<Action> first,
      @ForAll("actions") List<Action> second)
      throws InterruptedException {
    Harness harness =
        new Harness(
            new BatcherConfig(
                maxBatchSize,
                Duration.ofMillis(maxWaitMillis),
                maxConcurrentBatches,
                2 * maxBatchSize),
            BatcherClock.system());

    Thread other = Thread.ofPlatform().start(() -> second.forEach(harness::perform));
    first.forEach(harness::perform);
    other.join();
    harness.batcher.close(shutdownMode);

    harness.verify(shutdownMode);
  }

  /** A batcher under test plus everything needed to judge each future's outcome afterwards. */
  private static final class Harness {
    final DynamicBatcher<Input, Integer> batcher;
    final BatcherClock clock;
    final int maxBatchSize;
    final int maxConcurrentBatches;
    final List<List<Input>> calls = new CopyOnWriteArrayList<>();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger maxRunning = new AtomicInteger();
    final AtomicInteger nextId = new AtomicInteger();
    final Map<Input, CompletableFuture<Integer>> accepted = new ConcurrentHashMap<>();
    /** Guarded by itself; Cancel actions pick from it. */
    final List<CompletableFuture<Integer>> acceptedInOrder = new ArrayList<>();
    final List<CompletableFuture<Integer>> rejected = new CopyOnWriteArrayList<>();
    final Map<CompletableFuture<Integer>, AtomicInteger> completions = new ConcurrentHashMap<>();

    Harness(BatcherConfig config, BatcherClock clock) {
      this.clock = clock;
      this.maxBatchSize = config.maxBatchSize();
      this.maxConcurrentBatches = config.maxConcurrentBatches();
      this.batcher = DynamicBatcher.builder(this::apply).config(config).clock(clock).start();
    }

    /** Poisoned inputs make the whole batch throw or return one result too few. */
    private List<Integer> apply(List<Input> inputs) {
      calls.add(inputs);
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        Thread.yield(); // widen the window for cancels racing with a running batch
        if (inputs.stream().anyMatch(input -> input.kind() == Kind.THROW)) throw new Poison();
        List<Integer> results = inputs.stream().map(input -> input.id() * 10).toList();
        boolean shortChanged = inputs.stream().anyMatch(input -> input.kind() == Kind.SHORT);
        return shortChanged ? results.subList(0, results.size() - 1) : results;
      } finally {
        running.decrementAndGet();
      }
    }

    void perform(Action action) {
      switch (action) {
        case Submit(Kind kind) -> {
          Input input = new Input(nextId.getAndIncrement(), kind);
          CompletableFuture<Integer> future = batcher.submit(input);
          AtomicInteger count = new AtomicInteger();
          completions.put(future, count);
          future.whenComplete((result, failure) -> count.incrementAndGet());
          if (isQueueFull(future)) {
            rejected.add(future);
          } else {
            accepted.put(input, future);
            synchronized (acceptedInOrder) {
              acceptedInOrder.add(future);
            }
          }
        }
        case Cancel(int which) -> {
          CompletableFuture<Integer> victim;
          synchronized (acceptedInOrder) {
            if (acceptedInOrder.isEmpty()) return;
            victim = acceptedInOrder.get(which % acceptedInOrder.size());
          }
          victim.cancel(false);
        }
        case Advance(int millis) -> {
          if (clock instanceof ManualClock manual) manual.advance(Duration.ofMillis(millis));
        }
      }
    }

    /** Call after close: every check below is exact once the batcher has shut down. */
    void verify(ShutdownMode shutdownMode) {
      // Every future completed, and exactly once.
      completions.forEach((future, count) -> {
        assertThat(future).isDone();
        assertThat(count).hasValue(1);
      });

      // No input dispatched twice, no batch empty or over size, no more calls at once than allowed.
      Map<Input, List<Input>> callOf = new HashMap<>();
      for (List<Input> call : calls) {
        assertThat(call).isNotEmpty().hasSizeLessThanOrEqualTo(maxBatchSize);
        for (Input input : call) {
          assertThat(callOf.put(input, call)).as("%s dispatched twice", input).isNull();
          assertThat(accepted).containsKey(input);
        }
      }
      assertThat(maxRunning.get()).isLessThanOrEqualTo(maxConcurrentBatches);

      // Each future's outcome is the one its history allows.
      accepted.forEach((input, future) -> {
        if (future.isCancelled()) return;
        List<Input> call = callOf.get(input);
        if (call == null) {
          assertThat(shutdownMode)
              .as("%s never dispatched", input)
              .isEqualTo(ShutdownMode.FAIL_PENDING);
          assertThat(failureOf(future)).isInstanceOf(BatcherClosedException.class);
        } else if (call.stream().anyMatch(other -> other.kind() == Kind.THROW)) {
          assertThat(failureOf(future)).isInstanceOf(Poison.class);
        } else if (call.stream().anyMatch(other -> other.kind() == Kind.SHORT)) {
          assertThat(failureOf(future)).isInstanceOf(BatchResultMismatchException.class);
        } else {
          assertThat(future.join()).isEqualTo(input.id() * 10);
        }
      });

      // The stats account for every request.
      BatcherStats stats = batcher.stats();
      long cancelled = accepted.values().stream().filter(CompletableFuture::isCancelled).count();
      assertThat(stats.submitted()).isEqualTo(accepted.size());
      assertThat(stats.rejectedQueueFull()).isEqualTo(rejected.size());
      assertThat(stats.completed() + stats.failed() + stats.cancelled())
          .isEqualTo(stats.submitted());
      assertThat(stats.cancelled()).isEqualTo(cancelled);
      assertThat(stats.queued()).isZero();
      assertThat(stats.activeBatches()).isZero();
      assertThat(stats.batches()).isEqualTo(calls.size());
      long inputsSeen = calls.stream().mapToLong(List::size).sum();
      long histogramInputs =
          stats.batchSizeHistogram().entrySet().stream()
              .mapToLong(entry -> entry.getKey() * entry.getValue())
              .sum();
      assertThat(histogramInputs).isEqualTo(inputsSeen);
      assertThat(stats.queueWait().count()).isEqualTo(inputsSeen);
    }
  }

  @Provide
  Arbitrary<List<Action>> actions() {
    Arbitrary<Kind> kinds =
        Arbitraries.frequency(
            Tuple.of(8, Kind.OK), Tuple.of(1, Kind.THROW), Tuple.of(1, Kind.SHORT));
    Arbitrary<Action> submit = kinds.map(Submit::new);
    Arbitrary<Action> cancel = Arbitraries.integers().between(0, 50).map(Cancel::new);
    Arbitrary<Action> advance = Arbitraries.integers().between(0, 6).map(Advance::new);
    return Arbitraries.frequencyOf(Tuple.of(6, submit), Tuple.of(2, cancel), Tuple.of(2, advance))
        .list()
        .ofMaxSize(40);
  }

  private static boolean isQueueFull(CompletableFuture<?> future) {
    return future.isCompletedExceptionally() && failureOf(future) instanceof QueueFullException;
  }

  private static Throwable failureOf(CompletableFuture<?> future) {
    try {
      future.join();
      throw new AssertionError("expected a failure");
    } catch (CompletionException e) {
      return e.getCause();
    }
  }
}
