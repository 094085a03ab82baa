package dev.paternoster.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ArrivalProcessTest {

  @Test
  void poissonArrivalsHaveTheRequestedMeanRate() {
    double[] t = ArrivalProcess.poisson(4.0).times(7, 20_000, Double.POSITIVE_INFINITY);
    assertThat(t).hasSize(20_000);
    double rate = t.length / t[t.length - 1];
    assertThat(rate).isCloseTo(4.0, within(0.12));
    // exponential gaps: coefficient of variation 1
    assertThat(coefficientOfVariation(gaps(t))).isCloseTo(1.0, within(0.05));
  }

  @Test
  void burstinessChangesTheSpreadButNotTheRate() {
    double[] bursty = ArrivalProcess.gamma(2.0, 0.25).times(3, 20_000, Double.POSITIVE_INFINITY);
    double[] regular = ArrivalProcess.gamma(2.0, 16).times(3, 20_000, Double.POSITIVE_INFINITY);
    assertThat(bursty.length / bursty[bursty.length - 1]).isCloseTo(2.0, within(0.15));
    assertThat(regular.length / regular[regular.length - 1]).isCloseTo(2.0, within(0.05));
    // gamma shape k has CV 1/sqrt(k): 2 for k = 0.25, 0.25 for k = 16
    assertThat(coefficientOfVariation(gaps(bursty))).isCloseTo(2.0, within(0.2));
    assertThat(coefficientOfVariation(gaps(regular))).isCloseTo(0.25, within(0.02));
  }

  @Test
  void sameSeedSameArrivalsOtherSeedOthers() {
    ArrivalProcess p = ArrivalProcess.poisson(10);
    assertThat(p.times(42, 100, Double.POSITIVE_INFINITY)).containsExactly(p.times(42, 100, Double.POSITIVE_INFINITY));
    assertThat(p.times(43, 100, Double.POSITIVE_INFINITY)).isNotEqualTo(p.times(42, 100, Double.POSITIVE_INFINITY));
    // a prefix does not depend on how many are asked for
    assertThat(p.times(42, 10, Double.POSITIVE_INFINITY)).containsExactly(java.util.Arrays.copyOf(p.times(42, 100, Double.POSITIVE_INFINITY), 10));
  }

  @Test
  void durationBoundsArrivals() {
    double[] t = ArrivalProcess.poisson(50).times(1, Integer.MAX_VALUE, 2.0);
    assertThat(java.util.Arrays.stream(t)).allMatch(x -> x < 2.0);
    assertThat(t.length).isBetween(70, 130);
    for (int i = 1; i < t.length; i++) assertThat(t[i]).isGreaterThanOrEqualTo(t[i - 1]);
  }

  @Test
  void infiniteRateSendsEverythingAtOnce() {
    assertThat(ArrivalProcess.immediate().times(1, 5, Double.POSITIVE_INFINITY)).containsExactly(0, 0, 0, 0, 0);
    assertThatThrownBy(() -> ArrivalProcess.immediate().times(1, Integer.MAX_VALUE, 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ArrivalProcess.poisson(0)).isInstanceOf(IllegalArgumentException.class);
  }

  private static double[] gaps(double[] t) {
    double[] g = new double[t.length];
    g[0] = t[0];
    for (int i = 1; i < t.length; i++) g[i] = t[i] - t[i - 1];
    return g;
  }

  private static double coefficientOfVariation(double[] v) {
    double mean = java.util.Arrays.stream(v).average().orElseThrow();
    double var = java.util.Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / v.length;
    return Math.sqrt(var) / mean;
  }
}
