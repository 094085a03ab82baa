package dev.paternoster.batch;

import static dev.paternoster.batch.Futures.failureOf;
import static dev.paternoster.batch.Futures.resultOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** maxQueueSize: a submit beyond it fails fast with QueueFullException and never blocks. */
class QueueLimitTest {

  private final ManualClock clock = new ManualClock();
  private final RecordingFunction<String, String> function = RecordingFunction.upperCase();
  private final DynamicBatcher<String, String> batcher =
      DynamicBatcher.builder(function)
          .name("embeddings")
          .config(
              BatcherConfig.builder()
                  .maxBatchSize(2)
                  .maxWait(Duration.ofHours(1))
                  .maxConcurrentBatches(1)
                  .maxQueueSize(2)
                  .build())
          .clock(clock)
          .start();

  @AfterEach
  void closeBatcher() {
    function.openGate();
    batcher.close();
  }

  @Test
  void submitBeyondMaxQueueSizeFailsAtOnceAndTheBatcherRecovers() throws Exception {
    function.closeGate();
    batcher.submit("a");
    batcher.submit("b");
    function.awaitCallsStarted(1); // [a, b] is running, the slot is taken
    CompletableFuture<String> c = batcher.submit("c");
    CompletableFuture<String> d = batcher.submit("d");

    CompletableFuture<String> e = batcher.submit("e");

    assertThat(e).as("refused before submit returned").isCompletedExceptionally();
    assertThat(failureOf(e))
        .isInstanceOf(QueueFullException.class)
        .hasMessageContaining("embeddings")
        .hasMessageContaining("maxQueueSize=2");
    assertThat(((QueueFullException) failureOf(e)).maxQueueSize()).isEqualTo(2);
    assertThat(batcher.stats().rejectedQueueFull()).isEqualTo(1);
    assertThat(batcher.stats().queued()).isEqualTo(2);

    function.openGate();
    assertThat(resultOf(c)).isEqualTo("C");
    assertThat(resultOf(d)).isEqualTo("D");
    CompletableFuture<String> f = batcher.submit("f");
    CompletableFuture<String> g = batcher.submit("g");
    assertThat(resultOf(f) + resultOf(g)).isEqualTo("FG");
  }
}
