package dev.paternoster.batch;

import static dev.paternoster.batch.Futures.resultOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A future cancelled before dispatch withdraws its request from the batch. */
class CancellationTest {

  private final ManualClock clock = new ManualClock();
  private final RecordingFunction<String, String> function = RecordingFunction.upperCase();
  private DynamicBatcher<String, String> batcher;

  private void start(int maxBatchSize, Duration maxWait) {
    batcher =
        DynamicBatcher.builder(function)
            .config(BatcherConfig.builder().maxBatchSize(maxBatchSize).maxWait(maxWait).build())
            .clock(clock)
            .start();
  }

  @AfterEach
  void closeBatcher() {
    if (batcher != null) batcher.close();
  }

  @Test
  void cancelledRequestDoesNotCountTowardBatchSizeAndIsNotPassedToTheFunction() throws Exception {
    start(3, Duration.ofHours(1));

    CompletableFuture<String> a = batcher.submit("a");
    CompletableFuture<String> b = batcher.submit("b");
    assertThat(a.cancel(false)).isTrue();
    CompletableFuture<String> c = batcher.submit("c");
    assertThat(batcher.stats().queued()).as("[b, c] is not full yet").isEqualTo(2);
    CompletableFuture<String> d = batcher.submit("d");

    assertThat(function.nextCall()).containsExactly("b", "c", "d");
    assertThat(resultOf(b) + resultOf(c) + resultOf(d)).isEqualTo("BCD");
    assertThat(a).isCancelled();

    batcher.close();
    BatcherStats stats = batcher.stats();
    assertThat(stats.submitted()).isEqualTo(4);
    assertThat(stats.cancelled()).isEqualTo(1);
    assertThat(stats.completed()).isEqualTo(3);
  }

  @Test
  void cancellingTheOldestRequestHandsTheDeadlineToTheNextOne() throws Exception {
    start(8, Duration.ofMillis(10));

    CompletableFuture<String> a = batcher.submit("a");
    clock.awaitDispatcherWaitingUntil(Duration.ofMillis(10));
    clock.advance(Duration.ofMillis(5));
    batcher.submit("b");
    a.cancel(false);
    clock.advance(Duration.ofMillis(5));

    clock.awaitDispatcherWaitingUntil(Duration.ofMillis(15)); // b's own deadline
    assertThat(batcher.stats().queued()).isEqualTo(1);
    clock.advance(Duration.ofMillis(5));
    assertThat(function.nextCall()).containsExactly("b");
  }

  @Test
  void aBatchWhoseRequestsWereAllCancelledNeverReachesTheFunction() {
    start(8, Duration.ofMillis(10));

    batcher.submit("a").cancel(false);
    batcher.submit("b").cancel(true);
    batcher.close();

    assertThat(function.calls()).isEmpty();
    assertThat(batcher.stats().batches()).isZero();
    assertThat(batcher.stats().cancelled()).isEqualTo(2);
  }

  @Test
  void aCallerCompletingTheFutureItselfAlsoWithdrawsTheRequest() throws Exception {
    start(2, Duration.ofHours(1));

    CompletableFuture<String> a = batcher.submit("a");
    a.completeExceptionally(new TimeoutException("caller gave up")); // as orTimeout() does
    batcher.submit("b");
    batcher.submit("c");

    assertThat(function.nextCall()).containsExactly("b", "c");
  }
}
