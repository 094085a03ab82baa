package dev.paternoster.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LengthDistributionTest {

  private static int[] draw(LengthDistribution d, int n) {
    SplittableRandom r = new SplittableRandom(5);
    return IntStream.range(0, n).map(i -> d.sample(r)).toArray();
  }

  @Test
  void fixedIsExact() {
    assertThat(draw(LengthDistribution.parse("fixed", 128, 0.5, 1, 0), 100)).containsOnly(128);
  }

  @Test
  void uniformCoversTheRangeRatio() {
    LengthDistribution d = LengthDistribution.parse("uniform", 100, 0.5, 1, 0);
    int[] v = draw(d, 20_000);
    assertThat(IntStream.of(v)).allMatch(x -> x >= 50 && x <= 150);
    assertThat(IntStream.of(v).min().orElseThrow()).isEqualTo(50);
    assertThat(IntStream.of(v).max().orElseThrow()).isEqualTo(150);
    assertThat(IntStream.of(v).average().orElseThrow()).isCloseTo(d.mean(), within(1.0));
    assertThat(d.max()).isEqualTo(150);
  }

  @Test
  void sharegptIsLongTailedAndClipped() {
    LengthDistribution d = LengthDistribution.parse("sharegpt", 100, 0.5, 1.0, 800);
    double[] v = IntStream.of(draw(d, 20_000)).asDoubleStream().toArray();
    assertThat(java.util.Arrays.stream(v)).allMatch(x -> x >= 1 && x <= 800);
    assertThat(Percentiles.percentile(v, 50)).isCloseTo(100, within(4.0));
    // the tail: p99 of a lognormal with sigma 1 is e^2.33 ~ 10x the median
    assertThat(Percentiles.percentile(v, 99) / Percentiles.percentile(v, 50)).isGreaterThan(7);
    assertThat(java.util.Arrays.stream(v).average().orElseThrow()).isCloseTo(d.mean(), within(3.0));
    assertThat(d.max()).isEqualTo(800);
    assertThat(LengthDistribution.parse("sharegpt", 100, 0.5, 1.0, 0).max()).isEqualTo(400);
  }

  @Test
  void badWordsAreRejected() {
    assertThatThrownBy(() -> LengthDistribution.parse("zipf", 10, 0.5, 1, 0)).hasMessageContaining("zipf");
    assertThatThrownBy(() -> LengthDistribution.parse("uniform", 10, 1.5, 1, 0)).hasMessageContaining("range-ratio");
    assertThatThrownBy(() -> LengthDistribution.parse("fixed", 0, 0.5, 1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
