package dev.paternoster.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** BatcherConfig validation names the bad parameter; the builder starts from the defaults. */
class BatcherConfigTest {

  @Test
  void builderStartsFromTheDefaults() {
    BatcherConfig config = BatcherConfig.builder().build();
    assertThat(config)
        .isEqualTo(new BatcherConfig(8, Duration.ofMillis(5), 1, 1024));
    assertThat(config.maxWaitNanos()).isEqualTo(5_000_000);
    assertThat(config.toBuilder().maxBatchSize(16).build().maxBatchSize()).isEqualTo(16);
  }

  @Test
  void maxBatchSizeMustBePositive() {
    assertThatThrownBy(() -> BatcherConfig.builder().maxBatchSize(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxBatchSize must be at least 1, was 0");
  }

  @Test
  void maxWaitMustBeGivenNonNegativeAndRepresentableInNanos() {
    assertThatThrownBy(() -> BatcherConfig.builder().maxWait(null).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("maxWait");
    assertThatThrownBy(() -> BatcherConfig.builder().maxWait(Duration.ofMillis(-1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWait must not be negative, was PT-0.001S");
    assertThatThrownBy(() -> BatcherConfig.builder().maxWait(Duration.ofDays(365L * 300)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("maxWait must fit in a long of nanoseconds");
    assertThat(BatcherConfig.builder().maxWait(Duration.ZERO).build().maxWaitNanos()).isZero();
  }

  @Test
  void maxConcurrentBatchesMustBePositive() {
    assertThatThrownBy(() -> BatcherConfig.builder().maxConcurrentBatches(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConcurrentBatches must be at least 1, was 0");
  }

  @Test
  void maxQueueSizeMustHoldAFullBatch() {
    assertThatThrownBy(() -> BatcherConfig.builder().maxBatchSize(8).maxQueueSize(4).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "maxQueueSize must be at least maxBatchSize (8) so a full batch can form, was 4");
  }

  @Test
  void batcherBuilderRejectsABlankName() {
    assertThatThrownBy(() -> DynamicBatcher.builder(inputs -> inputs).name(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name must not be blank");
  }
}
