package dev.paternoster.batch;

import static dev.paternoster.batch.Futures.resultOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** When a batch leaves the queue: at maxBatchSize, or maxWait after its oldest request arrived. */
class DispatchRulesTest {

  private final ManualClock clock = new ManualClock();
  private final RecordingFunction<String, String> function = RecordingFunction.upperCase();
  private DynamicBatcher<String, String> batcher;

  private DynamicBatcher<String, String> start(int maxBatchSize, Duration maxWait, int slots) {
    batcher =
        DynamicBatcher.builder(function)
            .config(
                BatcherConfig.builder()
                    .maxBatchSize(maxBatchSize)
                    .maxWait(maxWait)
                    .maxConcurrentBatches(slots)
                    .build())
            .clock(clock)
            .start();
    return batcher;
  }

  @AfterEach
  void closeBatcher() {
    function.openGate();
    if (batcher != null) batcher.close();
  }

  @Test
  void dispatchesAFullBatchAtOnceWithoutWaitingForMaxWait() throws Exception {
    start(3, Duration.ofHours(1), 1);

    CompletableFuture<String> a = batcher.submit("a");
    CompletableFuture<String> b = batcher.submit("b");
    CompletableFuture<String> c = batcher.submit("c");

    assertThat(function.nextCall()).containsExactly("a", "b", "c");
    assertThat(List.of(resultOf(a), resultOf(b), resultOf(c))).containsExactly("A", "B", "C");
    assertThat(clock.elapsed()).isZero();
  }

  @Test
  void dispatchesAPartialBatchWhenItsOldestRequestHasWaitedMaxWait() throws Exception {
    start(8, Duration.ofMillis(10), 1);

    CompletableFuture<String> a = batcher.submit("a");
    clock.awaitDispatcherWaitingUntil(Duration.ofMillis(10));
    clock.advance(Duration.ofMillis(9));
    clock.awaitDispatcherWaitingUntil(Duration.ofMillis(10));
    CompletableFuture<String> b = batcher.submit("b");
    assertThat(batcher.stats().queued()).as("nothing dispatched before the deadline").isEqualTo(2);

    clock.advance(Duration.ofMillis(1));

    assertThat(function.nextCall()).containsExactly("a", "b");
    assertThat(resultOf(a)).isEqualTo("A");
    assertThat(resultOf(b)).isEqualTo("B");
  }

  @Test
  void deadlineIsTheOldestRequestsArrivalPlusMaxWaitNotTheLatestWakeUp() throws Exception {
    start(8, Duration.ofMillis(10), 1);

    batcher.submit("a");
    clock.awaitDispatcherWaitingUntil(Duration.ofMillis(10));
    clock.advance(Duration.ofMillis(4));
    batcher.submit("b"); // arrives at 4 ms; must not push the deadline to 14 ms
    clock.awaitDispatcherWaitingUntil(Duration.ofMillis(10));
    clock.advance(Duration.ofMillis(6));

    assertThat(function.nextCall()).containsExactly("a", "b");

    // The next batch gets a fresh timer from its own oldest request.
    batcher.submit("c");
    clock.awaitDispatcherWaitingUntil(Duration.ofMillis(20));
    clock.advance(Duration.ofMillis(10));
    assertThat(function.nextCall()).containsExactly("c");
  }

  @Test
  void zeroMaxWaitDispatchesWhateverIsQueuedImmediately() throws Exception {
    start(8, Duration.ZERO, 1);

    CompletableFuture<String> a = batcher.submit("a");

    assertThat(function.nextCall()).containsExactly("a");
    assertThat(resultOf(a)).isEqualTo("A");
    assertThat(clock.elapsed()).isZero();
  }

  @Test
  void anOverdueRequestLeavesAsSoonAsASlotFreesWithoutASecondMaxWait() throws Exception {
    start(4, Duration.ofMillis(10), 1);
    function.closeGate();
    batcher.submit("a");
    batcher.submit("b");
    batcher.submit("c");
    batcher.submit("d");
    assertThat(function.nextCall()).containsExactly("a", "b", "c", "d");

    CompletableFuture<String> e = batcher.submit("e");
    clock.awaitDispatcherWaitingUntil(Duration.ofMillis(10));
    clock.advance(Duration.ofMillis(25));
    clock.awaitDispatcherWaitingForSignal(); // overdue, but the only slot is busy
    assertThat(batcher.stats().queued()).isEqualTo(1);

    function.openGate();

    assertThat(function.nextCall()).containsExactly("e");
    assertThat(resultOf(e)).isEqualTo("E");
    assertThat(clock.elapsed()).isEqualTo(Duration.ofMillis(25));
  }
}
