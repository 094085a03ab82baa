package dev.paternoster.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Shared helpers for engine tests. */
final class Harness {
  private Harness() {}

  static EngineConfig.Builder config(int numPages) {
    return EngineConfig.builder().numPages(numPages).pageSize(4).maxNumSeqs(16).maxNumBatchedTokens(64);
  }

  static int[] prompt(int seed, int len) {
    int[] p = new int[len];
    p[0] = FakeTokenizer.BOS;
    long h = seed * 0x9E3779B97F4A7C15L + 17;
    for (int i = 1; i < len; i++) {
      h = h * 6364136223846793005L + 1442695040888963407L;
      p[i] = 2 + (int) Math.floorMod(h >>> 33, 52L);
    }
    return p;
  }

  static GenerationResult await(RequestHandle h) {
    try {
      return h.result().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("request " + h.id() + " did not finish", e);
    }
  }

  /** The leak invariant: once all requests have ended, every page is free (or cached-evictable). */
  static void assertNoLeaks(Engine engine) {
    assertThat(engine.checkPages(true)).as("page allocator state").isNull();
    // The snapshot is published after the step that ended the last request; give it a moment.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    EngineSnapshot s = engine.snapshot();
    while ((s.kvPagesUsed() != 0 || s.running() != 0 || s.waiting() != 0) && System.nanoTime() < deadline) {
      Thread.onSpinWait();
      s = engine.snapshot();
    }
    assertThat(s.kvPagesUsed()).as("pages used with no request alive").isZero();
    assertThat(s.kvPagesFree() + s.kvPagesCached()).isEqualTo(s.kvPagesTotal());
    assertThat(s.running()).isZero();
    assertThat(s.waiting()).isZero();
  }

  /**
   * Runs the request alone on a fresh, roomy engine without prefix caching: the reference every
   * batched run must match.
   */
  static int[] alone(FakeModel.Rule rule, int[] prompt, SamplingParams params) {
    return aloneResult(rule, prompt, params).choice().tokenIds();
  }

  static GenerationResult aloneResult(FakeModel.Rule rule, int[] prompt, SamplingParams params) {
    try (Engine e = soloEngine(rule)) {
      return await(e.submit(new GenerationRequest("alone", prompt, params), TokenListener.NONE));
    }
  }

  /** An engine that runs one sequence at a time, with room for everything and no prefix cache. */
  static Engine soloEngine(FakeModel.Rule rule) {
    return Engine.start(
        new FakeModel(rule, 2048, 4096),
        EngineConfig.builder().numPages(1024).pageSize(4).maxNumSeqs(1).enablePrefixCaching(false).build());
  }

  /** Collects the events of a request, in order (thread-safe). */
  static final class Events implements TokenListener {
    final List<TokenEvent> events = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onToken(TokenEvent e) {
      events.add(e);
    }

    String text(int choice) {
      StringBuilder sb = new StringBuilder();
      synchronized (events) {
        for (TokenEvent e : events) if (e.choiceIndex() == choice) sb.append(e.textDelta());
      }
      return sb.toString();
    }

    int[] tokens(int choice) {
      synchronized (events) {
        return events.stream().filter(e -> e.choiceIndex() == choice && e.tokenId() >= 0).mapToInt(TokenEvent::tokenId).toArray();
      }
    }

    List<TokenEvent> of(int choice) {
      synchronized (events) {
        return events.stream().filter(e -> e.choiceIndex() == choice).toList();
      }
    }
  }

  /** Records every step. */
  static final class Steps implements EngineObserver {
    final List<StepStats> steps = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onStep(StepStats s) {
      steps.add(s);
    }

    List<StepStats> all() {
      synchronized (steps) {
        return List.copyOf(steps);
      }
    }
  }

  static String str(int[] a) {
    return Arrays.toString(a);
  }

  static Duration seconds(double s) {
    return Duration.ofMillis((long) (s * 1000));
  }
}
