package dev.paternoster.batch;

import static dev.paternoster.batch.Futures.failureOf;
import static dev.paternoster.batch.Futures.resultOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A misbehaving batch function fails exactly its own batch; the batcher goes on. */
class FailureTest {

  private static final IllegalStateException BOOM = new IllegalStateException("model crashed");

  private DynamicBatcher<String, String> batcher;

  private void start(BatchFunction<String, String> function) {
    batcher =
        DynamicBatcher.builder(function)
            .name("reranker")
            .config(BatcherConfig.builder().maxBatchSize(2).maxWait(Duration.ofHours(1)).build())
            .clock(new ManualClock())
            .start();
  }

  @AfterEach
  void closeBatcher() {
    batcher.close();
  }

  @Test
  void aThrowingFunctionFailsExactlyThatBatchAndLaterBatchesSucceed() throws Exception {
    start(inputs -> {
      if (inputs.contains("boom")) throw BOOM;
      return inputs.stream().map(String::toUpperCase).toList();
    });

    CompletableFuture<String> boom = batcher.submit("boom");
    CompletableFuture<String> bystander = batcher.submit("x");
    assertThat(failureOf(boom)).isSameAs(BOOM);
    assertThat(failureOf(bystander)).isSameAs(BOOM);

    CompletableFuture<String> y = batcher.submit("y");
    CompletableFuture<String> z = batcher.submit("z");
    assertThat(resultOf(y) + resultOf(z)).isEqualTo("YZ");

    batcher.close();
    BatcherStats stats = batcher.stats();
    assertThat(stats.batches()).isEqualTo(2);
    assertThat(stats.failedBatches()).isEqualTo(1);
    assertThat(stats.failed()).isEqualTo(2);
    assertThat(stats.completed()).isEqualTo(2);
  }

  @Test
  void anErrorThrownByTheFunctionIsHandledLikeAnException() throws Exception {
    AssertionError bug = new AssertionError("bug in model code");
    start(inputs -> {
      if (inputs.contains("bug")) throw bug;
      return inputs;
    });

    CompletableFuture<String> a = batcher.submit("bug");
    batcher.submit("a");
    assertThat(failureOf(a)).isSameAs(bug);

    CompletableFuture<String> b = batcher.submit("b");
    batcher.submit("c");
    assertThat(resultOf(b)).isEqualTo("b");
  }

  @Test
  void tooFewResultsFailTheBatchWithAClearError() throws Exception {
    start(inputs -> inputs.contains("short") ? List.of("only one") : inputs);

    CompletableFuture<String> a = batcher.submit("short");
    CompletableFuture<String> b = batcher.submit("b");

    Throwable failure = failureOf(a);
    assertThat(failure)
        .isInstanceOf(BatchResultMismatchException.class)
        .hasMessageContaining("reranker")
        .hasMessageContaining("returned 1 results for 2 inputs");
    assertThat(((BatchResultMismatchException) failure).inputs()).isEqualTo(2);
    assertThat(((BatchResultMismatchException) failure).results()).isEqualTo(1);
    assertThat(failureOf(b)).isSameAs(failure);

    CompletableFuture<String> c = batcher.submit("c");
    batcher.submit("d");
    assertThat(resultOf(c)).isEqualTo("c");
  }

  @Test
  void tooManyOrNullResultsFailTheBatchToo() throws Exception {
    start(inputs -> switch (inputs.getFirst()) {
      case "null" -> null;
      default -> List.of("1", "2", "3");
    });

    CompletableFuture<String> tooMany = batcher.submit("many");
    batcher.submit("x");
    assertThat(failureOf(tooMany)).hasMessageContaining("returned 3 results for 2 inputs");

    CompletableFuture<String> none = batcher.submit("null");
    batcher.submit("x");
    assertThat(failureOf(none)).hasMessageContaining("returned null for 2 inputs");
  }
}
