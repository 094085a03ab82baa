package dev.paternoster.bench;

import java.util.Arrays;

/**
 * What the client saw of one request, timed on the client's clock ({@link System#nanoTime()}), so
 * in-process and HTTP targets are measured the same way.
 *
 * @param index the request's index in the workload
 * @param promptTokens prompt length sent
 * @param requestedOutputTokens max_tokens sent
 * @param outputTokens tokens received (from the usage report when the server sends one)
 * @param sendNanos when the request was sent
 * @param chunkNanos when each streamed chunk with output arrived (one token per chunk in practice)
 * @param endNanos when the response was complete
 * @param error null on success, else what went wrong
 */
public record RequestRecord(
    int index,
    int promptTokens,
    int requestedOutputTokens,
    int outputTokens,
    long sendNanos,
    long[] chunkNanos,
    long endNanos,
    String error) {

  public boolean succeeded() {
    return error == null;
  }

  /** Time to first token: send until the first output chunk. NaN without output. */
  public double ttftSeconds() {
    return chunkNanos.length == 0 ? Double.NaN : (chunkNanos[0] - sendNanos) / 1e9;
  }

  /** End-to-end latency: send until complete. */
  public double e2eSeconds() {
    return (endNanos - sendNanos) / 1e9;
  }

  /**
   * Time per output token after the first: {@code (e2e - ttft) / (tokens - 1)}, vLLM's TPOT.
   * NaN with fewer than two tokens.
   */
  public double tpotSeconds() {
    if (outputTokens < 2 || chunkNanos.length == 0) return Double.NaN;
    return (endNanos - chunkNanos[0]) / 1e9 / (outputTokens - 1);
  }

  /** Inter-token latencies: the gaps between consecutive chunks, in seconds. */
  public double[] itlSeconds() {
    double[] gaps = new double[Math.max(0, chunkNanos.length - 1)];
    for (int i = 1; i < chunkNanos.length; i++) gaps[i - 1] = (chunkNanos[i] - chunkNanos[i - 1]) / 1e9;
    return gaps;
  }

  /** Collects one request's timings while it runs; not thread-safe (one writer at a time). */
  public static final class Recorder {
    private final RequestSpec spec;
    private long sendNanos;
    private long[] chunks = new long[16];
    private int chunkCount;

    public Recorder(RequestSpec spec) {
      this.spec = spec;
    }

    public void sent() {
      sendNanos = System.nanoTime();
    }

    /** A chunk with output arrived now. */
    public void chunk() {
      if (chunkCount == chunks.length) chunks = Arrays.copyOf(chunks, chunks.length * 2);
      chunks[chunkCount++] = System.nanoTime();
    }

    public int chunks() {
      return chunkCount;
    }

    /** @param outputTokens tokens generated, or -1 to count the chunks */
    public RequestRecord finish(int outputTokens) {
      return build(outputTokens, null);
    }

    public RequestRecord fail(String error) {
      return build(-1, error == null ? "unknown error" : error);
    }

    private RequestRecord build(int outputTokens, String error) {
      long end = System.nanoTime();
      if (sendNanos == 0) sendNanos = end;
      return new RequestRecord(spec.index(), spec.promptTokens(), spec.outputTokens(),
          outputTokens >= 0 ? outputTokens : chunkCount, sendNanos, Arrays.copyOf(chunks, chunkCount), end, error);
    }
  }
}
