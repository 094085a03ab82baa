package dev.paternoster.bench;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What load to send: how many requests, when, and how long each one is. Deterministic: the same
 * seed gives the same prompts, lengths and arrival times, so runs against different targets or
 * scheduling modes are comparable request for request.
 *
 * @param arrivals open-loop arrival process, or null for closed loop
 * @param concurrency closed loop: number of clients sending back to back; open loop: at most this
 *     many requests in flight (0 = no limit)
 * @param numRequests most requests to send ({@link Integer#MAX_VALUE} = bounded by duration only)
 * @param durationSeconds stop sending after this long ({@link Double#POSITIVE_INFINITY} = no limit)
 * @param inputLengths prompt lengths
 * @param outputLengths output lengths
 * @param maxModelLen prompt + output of one request is clipped to this (0 = no limit)
 * @param tokens the ids prompts are made of
 * @param seed random seed
 */
public record Workload(
    ArrivalProcess arrivals,
    int concurrency,
    int numRequests,
    double durationSeconds,
    LengthDistribution inputLengths,
    LengthDistribution outputLengths,
    int maxModelLen,
    TokenPool tokens,
    long seed) {

  public Workload {
    if (arrivals == null && concurrency < 1) throw new IllegalArgumentException("closed loop needs --concurrency >= 1");
    if (concurrency < 0) throw new IllegalArgumentException("concurrency must be >= 0");
    if (numRequests < 1) throw new IllegalArgumentException("--num-requests must be at least 1");
    if (!(durationSeconds > 0)) throw new IllegalArgumentException("--duration must be positive");
    if (numRequests == Integer.MAX_VALUE && Double.isInfinite(durationSeconds)) {
      throw new IllegalArgumentException("give --num-requests or --duration (or both)");
    }
    if (maxModelLen == 1) throw new IllegalArgumentException("maxModelLen must be at least 2");
  }

  public boolean isClosedLoop() {
    return arrivals == null;
  }

  /** The same workload at another arrival rate (for sweeps). */
  public Workload withArrivals(ArrivalProcess a) {
    return new Workload(a, concurrency, numRequests, durationSeconds, inputLengths, outputLengths, maxModelLen, tokens, seed);
  }

  public Workload withMaxModelLen(int len) {
    return new Workload(arrivals, concurrency, numRequests, durationSeconds, inputLengths, outputLengths, len, tokens, seed);
  }

  /** Arrival times of the open-loop requests (seconds from start); null in closed loop. */
  public double[] arrivalTimes() {
    return isClosedLoop() ? null : arrivals.times(seed, numRequests, durationSeconds);
  }

  /**
   * Request {@code index}. Each request has its own random stream derived from the seed, so
   * request 7 is the same whether 10 or 10 000 are generated, and in whatever order.
   */
  public RequestSpec request(int index, double arrivalSeconds) {
    SplittableRandom random = new SplittableRandom(mix(seed, index));
    int in = inputLengths.sample(random);
    int out = outputLengths.sample(random);
    if (maxModelLen > 0 && in + out > maxModelLen) {
      // Keep the output length (it drives decode time) and shorten the prompt first.
      out = Math.min(out, maxModelLen - 1);
      in = Math.max(1, maxModelLen - out);
    }
    int[] ids = new int[in];
    int start = 0;
    if (tokens.bosId() >= 0) ids[start++] = tokens.bosId();
    for (int i = start; i < in; i++) ids[i] = tokens.ids()[random.nextInt(tokens.ids().length)];
    return new RequestSpec(index, arrivalSeconds, ids, out);
  }

  /** Longest prompt + output a request can have (the engine's max model length is sized from it). */
  public int maxRequestTokens() {
    int len = inputLengths.max() + outputLengths.max();
    return maxModelLen > 0 ? Math.min(len, maxModelLen) : len;
  }

  public String describe() {
    String load = isClosedLoop()
        ? "closed loop, " + concurrency + " clients"
        : arrivals.describe() + (concurrency > 0 ? ", at most " + concurrency + " in flight" : "");
    String bound = (numRequests == Integer.MAX_VALUE ? "" : numRequests + " requests")
        + (Double.isInfinite(durationSeconds) ? "" : (numRequests == Integer.MAX_VALUE ? "" : ", ")
            + String.format(Locale.ROOT, "%.0f s", durationSeconds));
    return load + "; " + bound + "; input " + inputLengths.describe() + "; output " + outputLengths.describe();
  }

  /** SplitMix64 finalizer: well-spread per-request seeds from (seed, index). */
  static long mix(long seed, long index) {
    long z = seed + 0x9E3779B97F4A7C15L * (index + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
