package dev.paternoster.engine;

import static dev.paternoster.engine.Harness.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Random arrivals, prompt lengths, max_tokens, seeds, n, aborts, policies and modes over a KV cache
 * so small that preemption is routine: every request either ends exactly as it does alone, or was
 * aborted (and then holds a prefix of its solo output); no page leaks.
 */
class EngineProperties {
  private static final FakeModel.Rule RULE = FakeModel.withEos(25);

  record Req(int promptLen, int maxTokens, int arriveAfter, int abortAfter, int seed, int priority, boolean sampled, int n) {
    int[] prompt() {
      return Harness.prompt(seed, promptLen);
    }

    SamplingParams params() {
      SamplingParams.Builder b = SamplingParams.builder().maxTokens(maxTokens).n(n);
      return sampled ? b.temperature(0.9f).topP(0.95f).seed((long) seed).build() : b.temperature(0).build();
    }
  }

  record Scenario(List<Req> requests, EngineConfig.Policy policy, EngineConfig.Mode mode, int pages, int budget, boolean prefixCaching) {}

  @Provide
  Arbitrary<Scenario> scenarios() {
    Arbitrary<Req> req = Combinators.combine(
            Arbitraries.integers().between(1, 24),
            Arbitraries.integers().between(1, 20),
            Arbitraries.integers().between(-30, 30).map(a -> Math.max(0, a)), // half arrive at once
            Arbitraries.integers().between(-1, 12).map(a -> a < 4 ? -1 : a), // about 2 in 3 never abort
            Arbitraries.integers().between(0, 10_000),
            Arbitraries.integers().between(0, 3),
            Arbitraries.of(false, false, true),
            Arbitraries.of(1, 1, 1, 2))
        .as(Req::new);
    return Combinators.combine(
            req.list().ofMinSize(3).ofMaxSize(10),
            Arbitraries.of(EngineConfig.Policy.class),
            Arbitraries.of(EngineConfig.Mode.CONTINUOUS, EngineConfig.Mode.CONTINUOUS, EngineConfig.Mode.STATIC),
            Arbitraries.integers().between(12, 20),
            Arbitraries.integers().between(4, 40),
            Arbitraries.of(true, false))
        .as(Scenario::new);
  }

  @Property(tries = 60)
  void everyRequestEndsAsItDoesAloneOrWasAborted(@ForAll("scenarios") Scenario sc) throws Exception {
    EngineConfig config = EngineConfig.builder()
        .numPages(sc.pages()).pageSize(4).maxModelLen(48).maxNumSeqs(6).maxNumBatchedTokens(sc.budget())
        .policy(sc.policy()).mode(sc.mode()).maxBatchSize(3).enablePrefixCaching(sc.prefixCaching()).build();
    List<Req> reqs = sc.requests();
    List<RequestHandle> handles = new ArrayList<>();
    AtomicInteger tokens = new AtomicInteger();
    FakeModel model = new FakeModel(RULE, 2048, 4096);
    model.beforeForward = b -> java.util.concurrent.locks.LockSupport.parkNanos(50_000); // let arrivals overlap
    AtomicInteger maxRunning = new AtomicInteger();
    try (Engine engine = Engine.start(model, config)) {
      engine.addObserver(new EngineObserver() {
        @Override
        public void onStep(StepStats s) {
          maxRunning.accumulateAndGet(s.running(), Math::max);
        }
      });
      for (int i = 0; i < reqs.size(); i++) {
        Req r = reqs.get(i);
        // Arrive once the engine has streamed `arriveAfter` more tokens (or everything so far is done).
        int target = tokens.get() + r.arriveAfter();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (tokens.get() < target && !handles.stream().allMatch(h -> h.result().isDone()) && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        AtomicReference<RequestHandle> self = new AtomicReference<>();
        AtomicInteger mine = new AtomicInteger();
        TokenListener listener = e -> {
          tokens.incrementAndGet();
          if (e.tokenId() >= 0 && mine.incrementAndGet() == r.abortAfter()) {
            synchronized (self) {
              self.get().abort();
            }
          }
        };
        synchronized (self) {
          self.set(engine.submit(new GenerationRequest("r" + i, r.prompt(), r.params(), r.priority()), listener));
        }
        handles.add(self.get());
      }
      for (RequestHandle h : handles) h.result().get(20, TimeUnit.SECONDS);
      assertNoLeaks(engine);
      Statistics.label("maxRunning").collect(maxRunning.get());
      Statistics.label("preempted").collect(engine.snapshot().preemptionsTotal() > 0);
      Statistics.label("aborted").collect(handles.stream().anyMatch(h -> h.result().join().choice().finishReason() == FinishReason.ABORT));
    }
    try (Engine solo = soloEngine(RULE)) {
      for (int i = 0; i < reqs.size(); i++) {
        Req r = reqs.get(i);
        GenerationResult expected = await(solo.submit(new GenerationRequest("solo" + i, r.prompt(), r.params()), null));
        GenerationResult actual = handles.get(i).result().join();
        for (int c = 0; c < r.n(); c++) {
          Choice a = actual.choices().get(c);
          Choice e = expected.choices().get(c);
          if (a.finishReason() == FinishReason.ABORT) {
            assertThat(r.abortAfter()).as(r + " aborted without being asked").isPositive();
            assertThat(Arrays.copyOf(e.tokenIds(), Math.min(e.tokenIds().length, a.tokenIds().length)))
                .as(r + " choice " + c + " holds a prefix of its solo output").containsExactly(a.tokenIds());
          } else {
            assertThat(a.tokenIds()).as(r + " choice " + c).containsExactly(e.tokenIds());
            assertThat(a.finishReason()).isEqualTo(e.finishReason());
            assertThat(a.text()).isEqualTo(e.text());
          }
        }
      }
    }
  }
}
