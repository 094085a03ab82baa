package dev.paternoster.bench;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Prompt or output lengths in tokens. Real traffic is long-tailed (a few very long answers among
 * many short ones); that tail is what makes request-level batching waste slots, so the benchmark
 * offers it next to fixed and uniform lengths.
 */
public sealed interface LengthDistribution {

  /** One length, at least 1. */
  int sample(SplittableRandom random);

  /** Largest length this distribution can return (sizes the KV cache and the context check). */
  int max();

  /** Expected value, for reports. */
  double mean();

  /** For reports, e.g. {@code uniform 64..192}. */
  String describe();

  /** Always {@code length} tokens. */
  record Fixed(int length) implements LengthDistribution {
    public Fixed {
      if (length < 1) throw new IllegalArgumentException("length must be at least 1, got " + length);
    }

    @Override public int sample(SplittableRandom random) { return length; }
    @Override public int max() { return length; }
    @Override public double mean() { return length; }
    @Override public String describe() { return "fixed " + length; }
  }

  /** Uniform integers in {@code [min, max]}. */
  record Uniform(int min, int max) implements LengthDistribution {
    public Uniform {
      if (min < 1 || max < min) throw new IllegalArgumentException("need 1 <= min <= max, got " + min + ".." + max);
    }

    @Override public int sample(SplittableRandom random) { return random.nextInt(min, max + 1); }
    @Override public double mean() { return (min + max) / 2.0; }
    @Override public String describe() { return "uniform " + min + ".." + max; }
  }

  /**
   * ShareGPT-like: log-normal with the given median and log-space {@code sigma}, rounded and clipped
   * to {@code [min, max]}. Conversation datasets have this shape (median around a couple of hundred
   * tokens, a tail ten times longer); a synthetic one needs no download and stays reproducible.
   */
  record LogNormal(double median, double sigma, int min, int max) implements LengthDistribution {
    public LogNormal {
      if (!(median >= 1)) throw new IllegalArgumentException("median must be at least 1, got " + median);
      if (!(sigma >= 0)) throw new IllegalArgumentException("sigma must be >= 0, got " + sigma);
      if (min < 1 || max < min) throw new IllegalArgumentException("need 1 <= min <= max, got " + min + ".." + max);
    }

    @Override
    public int sample(SplittableRandom random) {
      double x = median * Math.exp(sigma * random.nextGaussian());
      return (int) Math.max(min, Math.min(max, Math.round(x)));
    }

    /** Mean of the clipped distribution, by numeric integration (reports only; need not be exact). */
    @Override
    public double mean() {
      int steps = 4000;
      double sum = 0, weight = 0;
      for (int i = 0; i < steps; i++) {
        double z = -6 + 12.0 * (i + 0.5) / steps;
        double w = Math.exp(-0.5 * z * z);
        sum += w * Math.max(min, Math.min(max, median * Math.exp(sigma * z)));
        weight += w;
      }
      return sum / weight;
    }

    @Override
    public String describe() {
      return String.format(Locale.ROOT, "sharegpt-like lognormal median %.0f sigma %.2f clipped %d..%d", median, sigma, min, max);
    }
  }

  /**
   * Builds a distribution from the command line's words.
   *
   * @param kind {@code fixed}, {@code uniform} or {@code sharegpt}
   * @param length the fixed length, the centre of the uniform range, or the log-normal median
   * @param rangeRatio uniform: lengths in {@code length * [1 - r, 1 + r]} (vLLM's random-range-ratio)
   * @param sigma sharegpt: spread in log space
   * @param max sharegpt: clip the tail here (0 = 4 x length)
   */
  static LengthDistribution parse(String kind, int length, double rangeRatio, double sigma, int max) {
    return switch (kind.toLowerCase(Locale.ROOT)) {
      case "fixed" -> new Fixed(length);
      case "uniform" -> {
        if (!(rangeRatio >= 0 && rangeRatio < 1)) {
          throw new IllegalArgumentException("--range-ratio must be in [0, 1), got " + rangeRatio);
        }
        yield new Uniform(Math.max(1, (int) Math.floor(length * (1 - rangeRatio))), (int) Math.ceil(length * (1 + rangeRatio)));
      }
      case "sharegpt", "lognormal" -> new LogNormal(length, sigma, 1, max > 0 ? max : 4 * length);
      default -> throw new IllegalArgumentException("unknown length distribution '" + kind + "' (fixed, uniform, sharegpt)");
    };
  }
}
