package dev.paternoster.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * When open-loop requests arrive. Like vLLM's {@code benchmark_serving}: inter-arrival gaps are
 * drawn from a gamma distribution with shape {@code burstiness} and mean {@code 1 / rate}; shape 1
 * is a Poisson process (exponential gaps), below 1 arrivals come in bursts, above 1 they are more
 * regular. An infinite rate sends every request at time 0.
 *
 * <p>Open loop matters: a closed-loop client waits for answers before sending more, so a slow
 * server slows its own load down and queueing delay never shows. Open-loop arrivals keep coming
 * whatever the server does, which is what real users do.
 *
 * @param rate mean requests per second; {@link Double#POSITIVE_INFINITY} = all at once
 * @param burstiness gamma shape (1 = Poisson)
 */
public record ArrivalProcess(double rate, double burstiness) {

  public ArrivalProcess {
    if (!(rate > 0)) throw new IllegalArgumentException("request rate must be positive, got " + rate);
    if (!(burstiness > 0) || Double.isInfinite(burstiness)) {
      throw new IllegalArgumentException("burstiness must be a positive number, got " + burstiness);
    }
  }

  public static ArrivalProcess poisson(double rate) {
    return new ArrivalProcess(rate, 1.0);
  }

  public static ArrivalProcess gamma(double rate, double burstiness) {
    return new ArrivalProcess(rate, burstiness);
  }

  /** Every request at time 0 (vLLM's default {@code --request-rate inf}). */
  public static ArrivalProcess immediate() {
    return new ArrivalProcess(Double.POSITIVE_INFINITY, 1.0);
  }

  public boolean isImmediate() {
    return Double.isInfinite(rate);
  }

  /**
   * Arrival times in seconds from the start, ascending: at most {@code maxCount} of them, and none
   * at or after {@code maxSeconds} (pass {@link Double#POSITIVE_INFINITY} for no time bound). The
   * same seed always gives the same times, so two runs (static vs continuous) see the same load.
   */
  public double[] times(long seed, int maxCount, double maxSeconds) {
    if (maxCount < 0) throw new IllegalArgumentException("maxCount must be >= 0");
    if (isImmediate()) {
      if (maxCount == Integer.MAX_VALUE) {
        throw new IllegalArgumentException("an infinite request rate needs a request count");
      }
      return maxSeconds > 0 ? new double[maxCount] : new double[0];
    }
    if (maxCount == Integer.MAX_VALUE && Double.isInfinite(maxSeconds)) {
      throw new IllegalArgumentException("arrivals need a request count or a duration");
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[] out = new double[Math.min(maxCount, 1024)];
    int n = 0;
    double t = 0;
    double scale = 1.0 / (rate * burstiness); // gamma(shape k, scale θ) has mean kθ = 1/rate
    while (n < maxCount) {
      t += Gamma.sample(random, burstiness, scale);
      if (t >= maxSeconds) break;
      if (n == out.length) out = Arrays.copyOf(out, out.length * 2);
      out[n++] = t;
    }
    return Arrays.copyOf(out, n);
  }

  /** Short description for reports, e.g. {@code poisson 4.0 req/s}. */
  public String describe() {
    if (isImmediate()) return "all at once";
    String kind = burstiness == 1.0 ? "poisson" : "gamma(burstiness " + burstiness + ")";
    return kind + " " + rate + " req/s";
  }

  /** Gamma sampling by Marsaglia and Tsang (2000); shape below 1 via the boost {@code U^(1/k)}. */
  static final class Gamma {
    private Gamma() {}

    static double sample(SplittableRandom random, double shape, double scale) {
      if (shape == 1.0) return random.nextExponential() * scale; // Poisson process: exponential gaps
      if (shape < 1) {
        double u = random.nextDouble();
        return sample(random, shape + 1, scale) * Math.pow(u, 1 / shape);
      }
      double d = shape - 1.0 / 3, c = 1 / Math.sqrt(9 * d);
      while (true) {
        double x = random.nextGaussian(), v = 1 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        double u = random.nextDouble();
        if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v * scale;
      }
    }
  }
}
