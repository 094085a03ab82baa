package dev.paternoster.batch;

import static dev.paternoster.batch.Futures.resultOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Smoke test on the real clock. Only one-sided timing is asserted (a lone request cannot leave
 * before maxWait), which holds however slow the machine is.
 */
class SystemClockTest {

  @Test
  void aLoneRequestWaitsAtLeastMaxWaitOnTheRealClock() throws Exception {
    Duration maxWait = Duration.ofMillis(20);
    try (DynamicBatcher<String, String> batcher =
        DynamicBatcher.start(
            BatcherConfig.builder().maxBatchSize(8).maxWait(maxWait).build(),
            inputs -> inputs.stream().map(String::toUpperCase).toList())) {
      long start = System.nanoTime();
      CompletableFuture<String> a = batcher.submit("a");

      assertThat(resultOf(a)).isEqualTo("A");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(maxWait);
      assertThat(batcher.stats().queueWait().max()).isGreaterThanOrEqualTo(maxWait);
    }
  }

  @Test
  void aFullBatchDoesNotWaitForAnHourLongMaxWait() throws Exception {
    try (DynamicBatcher<Integer, Integer> batcher =
        DynamicBatcher.start(
            BatcherConfig.builder().maxBatchSize(2).maxWait(Duration.ofHours(1)).build(),
            inputs -> inputs.stream().map(i -> i * 2).toList())) {
      CompletableFuture<Integer> a = batcher.submit(1);
      CompletableFuture<Integer> b = batcher.submit(2);
      assertThat(resultOf(a) + resultOf(b)).isEqualTo(6);
    }
  }
}
