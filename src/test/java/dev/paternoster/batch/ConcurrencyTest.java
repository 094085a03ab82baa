package dev.paternoster.batch;

import static dev.paternoster.batch.Futures.resultOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** maxConcurrentBatches: parallel calls up to the limit; batches grow while slots are busy. */
class ConcurrencyTest {

  private final ManualClock clock = new ManualClock();
  private final RecordingFunction<String, String> function = RecordingFunction.upperCase();
  private DynamicBatcher<String, String> batcher;

  private void start(int maxBatchSize, int slots) {
    batcher =
        DynamicBatcher.builder(function)
            .config(
                BatcherConfig.builder()
                    .maxBatchSize(maxBatchSize)
                    .maxWait(Duration.ZERO)
                    .maxConcurrentBatches(slots)
                    .build())
            .clock(clock)
            .start();
  }

  @AfterEach
  void closeBatcher() {
    function.openGate();
    if (batcher != null) batcher.close();
  }

  @Test
  void runsUpToMaxConcurrentBatchesAtTheSameTime() throws Exception {
    start(1, 2);
    function.closeGate();

    CompletableFuture<String> a = batcher.submit("a");
    CompletableFuture<String> b = batcher.submit("b");
    function.awaitCallsStarted(2); // both calls are inside the function at once
    CompletableFuture<String> c = batcher.submit("c");

    BatcherStats stats = batcher.stats();
    assertThat(stats.activeBatches()).isEqualTo(2);
    assertThat(stats.queued()).as("third batch waits for a slot").isEqualTo(1);

    function.openGate();
    assertThat(List.of(resultOf(a), resultOf(b), resultOf(c))).containsExactly("A", "B", "C");
    assertThat(function.maxConcurrentCalls()).isEqualTo(2);
  }

  @Test
  void whileTheOnlySlotIsBusyTheNextBatchKeepsFillingUpToMaxBatchSize() throws Exception {
    start(4, 1);
    function.closeGate();
    batcher.submit("a");
    function.awaitCallsStarted(1);

    List<CompletableFuture<String>> waiting =
        List.of("b", "c", "d", "e", "f").stream().map(batcher::submit).toList();
    assertThat(batcher.stats().queued()).isEqualTo(5);

    function.openGate();
    for (CompletableFuture<String> future : waiting) resultOf(future);

    assertThat(function.calls())
        .containsExactly(List.of("a"), List.of("b", "c", "d", "e"), List.of("f"));
    assertThat(function.maxConcurrentCalls()).isEqualTo(1);
  }
}
