package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class WarmUpTest {
  /**
   * The warm-up's weights must be the kind of segment a model's are (see {@code Matmul.mapped}):
   * a kernel compiled on other kinds read a model's weights through the generic path.
   */
  @Test
  void warmUpWeightsAreMappedLikeAModelsAndKeepTheirBytes() {
    Weight heap = MatmulTest.randomWeight(GGMLType.Q8_0, 8, 64, 3);
    Weight w = Matmul.mapped(heap);
    assertThat(heap.data().isMapped()).isFalse();
    assertThat(w.data().isMapped()).isTrue();
    assertThat(w.data().isNative()).isTrue();
    assertThat(w.data().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(heap.data().toArray(ValueLayout.JAVA_BYTE));
    assertThat(w.type()).isEqualTo(heap.type());
    assertThat(w.rows()).isEqualTo(heap.rows());
    assertThat(w.cols()).isEqualTo(heap.cols());
  }

  /**
   * The warm-up runs every kernel shape of every type (what {@code serve --warm-up} does before
   * its first request) without an error, and reports the time it took.
   */
  @Test
  void warmUpRunsEveryKernel() {
    try (Parallel pool = new Parallel(2)) {
      java.time.Duration took = Matmul.warmUp(pool, true);
      assertThat(took).isPositive();
    }
  }
}
