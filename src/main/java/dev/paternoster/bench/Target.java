package dev.paternoster.bench;

import java.util.Map;

/**
 * Something that serves generation requests: the in-process engine or an OpenAI-compatible server.
 * The benchmark calls {@link #send} from many virtual threads at once.
 */
public interface Target extends AutoCloseable {

  /** One line for reports, e.g. {@code in-process engine (continuous)}. */
  String describe();

  /**
   * Sends one request with greedy sampling, {@code max_tokens = request.outputTokens()} and
   * {@code ignore_eos}, and blocks until it is complete. Failures are recorded, not thrown.
   */
  RequestRecord send(RequestSpec request);

  /** The target's running/waiting/KV gauges now ({@link TargetSample#unknown()} if it has none). */
  TargetSample sample();

  /** Longest prompt + output the target accepts; 0 when unknown. */
  int maxModelLen();

  /** Settings worth recording in the JSON report (engine configuration, server model name). */
  Map<String, Object> info();

  @Override
  void close();
}
