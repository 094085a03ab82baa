package dev.paternoster.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PercentilesTest {

  @Test
  void matchesNumpyLinearInterpolation() {
    double[] v = {4, 1, 3, 2}; // numpy.percentile([1,2,3,4], [50, 90, 99]) = 2.5, 3.7, 3.97
    Percentiles.Stats s = Percentiles.of(v);
    assertThat(s.p50()).isCloseTo(2.5, within(1e-12));
    assertThat(s.p90()).isCloseTo(3.7, within(1e-12));
    assertThat(s.p99()).isCloseTo(3.97, within(1e-12));
    assertThat(s.mean()).isEqualTo(2.5);
    assertThat(s.min()).isEqualTo(1);
    assertThat(s.max()).isEqualTo(4);
    assertThat(s.count()).isEqualTo(4);
  }

  @Test
  void percentilesOfARange() {
    double[] v = new double[101];
    for (int i = 0; i <= 100; i++) v[i] = i;
    assertThat(Percentiles.percentile(v, 0)).isEqualTo(0);
    assertThat(Percentiles.percentile(v, 37)).isCloseTo(37, within(1e-9));
    assertThat(Percentiles.percentile(v, 100)).isEqualTo(100);
  }

  @Test
  void nanIsIgnoredAndEmptyIsNan() {
    assertThat(Percentiles.of(new double[] {Double.NaN, 5}).p50()).isEqualTo(5);
    assertThat(Percentiles.of(new double[] {7}).p99()).isEqualTo(7);
    Percentiles.Stats empty = Percentiles.of(new double[] {Double.NaN});
    assertThat(empty.count()).isZero();
    assertThat(empty.mean()).isNaN();
    assertThat(Percentiles.of(new double[] {1, 3}).scaled(1000).mean()).isEqualTo(2000);
  }
}
