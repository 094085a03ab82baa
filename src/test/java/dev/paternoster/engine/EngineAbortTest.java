package dev.paternoster.engine;

import static dev.paternoster.engine.Harness.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Aborts at every stage free the request's pages before the next step and leave others intact. */
class EngineAbortTest {

  @Test
  void abortWhileWaiting() {
    FakeModel model = new FakeModel();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    model.beforeForward = b -> {
      try {
        release.await(); // "run" holds the only slot until the abort has been sent
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    try (Engine engine = Engine.start(model, config(100).maxNumSeqs(1).build())) {
      RequestHandle running = engine.submit(new GenerationRequest("run", prompt(1, 5), SamplingParams.greedy(30)), null);
      Events ev = new Events();
      RequestHandle waiting = engine.submit(new GenerationRequest("wait", prompt(2, 5), SamplingParams.greedy(30)), ev);
      waiting.abort();
      waiting.abort(); // idempotent
      release.countDown();
      GenerationResult r = await(waiting);
      assertThat(r.choice().finishReason()).isEqualTo(FinishReason.ABORT);
      assertThat(r.choice().tokenIds()).isEmpty();
      assertThat(r.completionTokens()).isZero();
      assertThat(ev.events).singleElement().satisfies(e -> {
        assertThat(e.tokenId()).isEqualTo(-1);
        assertThat(e.finishReason()).isEqualTo(FinishReason.ABORT);
      });
      assertThat(await(running).choice().tokenIds()).containsExactly(alone(FakeModel::defaultRule, prompt(1, 5), SamplingParams.greedy(30)));
      assertNoLeaks(engine);
    }
  }

  @Test
  void abortMidPrefill() {
    FakeModel model = new FakeModel();
    Steps steps = new Steps();
    AtomicReference<RequestHandle> victim = new AtomicReference<>();
    try (Engine engine = Engine.start(model, config(200).maxNumBatchedTokens(16).build())) {
      engine.addObserver(steps);
      engine.addObserver(new EngineObserver() {
        @Override
        public void onStep(StepStats s) {
          for (StepEntry e : s.entries()) {
            if (e.requestId().equals("long") && e.computedTokens() >= 32) {
              synchronized (victim) {
                victim.get().abort();
              }
            }
          }
        }
      });
      RequestHandle other = engine.submit(new GenerationRequest("other", prompt(3, 5), SamplingParams.greedy(40)), null);
      synchronized (victim) {
        victim.set(engine.submit(new GenerationRequest("long", prompt(4, 200), SamplingParams.greedy(5)), null));
      }
      GenerationResult r = await(victim.get());
      assertThat(r.choice().finishReason()).isEqualTo(FinishReason.ABORT);
      assertThat(r.choice().tokenIds()).isEmpty();
      await(other);
      // No chunk of "long" after the step that reached 32 tokens: its pages went before the next step.
      List<StepEntry> chunks = steps.all().stream().flatMap(s -> s.entries().stream()).filter(e -> e.requestId().equals("long")).toList();
      assertThat(chunks.getLast().computedTokens()).isBetween(32, 47);
      assertThat(chunks.getLast().promptTokens()).isEqualTo(200);
      assertThat(await(other).choice().tokenIds()).containsExactly(alone(FakeModel::defaultRule, prompt(3, 5), SamplingParams.greedy(40)));
      assertNoLeaks(engine);
    }
  }

  @Test
  void abortMidDecodeFromTheListener() {
    FakeModel model = new FakeModel();
    try (Engine engine = Engine.start(model, config(100).build())) {
      AtomicReference<RequestHandle> self = new AtomicReference<>();
      Events ev = new Events();
      TokenListener listener = e -> {
        ev.onToken(e);
        if (ev.events.size() == 3) {
          synchronized (self) {
            self.get().abort();
          }
        }
      };
      RequestHandle other = engine.submit(new GenerationRequest("other", prompt(5, 5), SamplingParams.greedy(20)), null);
      // The listener locks `self` too, so it cannot run before the handle is set.
      synchronized (self) {
        self.set(engine.submit(new GenerationRequest("d", prompt(6, 5), SamplingParams.greedy(50).withStop(List.of("zzz"))), listener));
      }
      GenerationResult r = await(self.get());
      assertThat(r.choice().finishReason()).isEqualTo(FinishReason.ABORT);
      assertThat(r.choice().tokenIds()).hasSize(3); // nothing generated after the abort
      assertThat(ev.events).hasSize(4);
      assertThat(ev.events.getLast().finishReason()).isEqualTo(FinishReason.ABORT);
      assertThat(ev.text(0)).isEqualTo(r.choice().text());
      assertThat(await(other).choice().tokenIds()).containsExactly(alone(FakeModel::defaultRule, prompt(5, 5), SamplingParams.greedy(20)));
      assertNoLeaks(engine);
    }
  }

  @Test
  void aListenerThatThrowsAbortsItsRequestOnly() {
    FakeModel model = new FakeModel();
    try (Engine engine = Engine.start(model, config(100).build())) {
      RequestHandle other = engine.submit(new GenerationRequest("other", prompt(5, 5), SamplingParams.greedy(20)), null);
      RequestHandle bad = engine.submit(new GenerationRequest("bad", prompt(6, 5), SamplingParams.greedy(50)), e -> {
        throw new IllegalStateException("client went away");
      });
      GenerationResult r = await(bad);
      assertThat(r.choice().finishReason()).isEqualTo(FinishReason.ABORT);
      assertThat(r.choice().tokenIds()).hasSize(1);
      assertThat(await(other).choice().finishReason()).isEqualTo(FinishReason.LENGTH);
      assertNoLeaks(engine);
    }
  }

  @Test
  void abortOfAFinishedRequestIsANoOp() {
    FakeModel model = new FakeModel();
    try (Engine engine = Engine.start(model, config(100).build())) {
      RequestHandle h = engine.submit(new GenerationRequest("a", prompt(1, 5), SamplingParams.greedy(3)), null);
      GenerationResult r = await(h);
      h.abort();
      assertThat(h.result().join()).isSameAs(r);
      assertThat(r.choice().finishReason()).isEqualTo(FinishReason.LENGTH);
      assertNoLeaks(engine);
    }
  }

  @Test
  void abortingAnNChoiceRequestEndsEveryChoice() {
    FakeModel model = new FakeModel();
    model.beforeForward = b -> EngineTest.sleep(1);
    try (Engine engine = Engine.start(model, config(100).maxWait(Duration.ZERO).build())) {
      Events ev = new Events();
      AtomicReference<RequestHandle> self = new AtomicReference<>();
      TokenListener l = e -> {
        ev.onToken(e);
        if (e.choiceIndex() == 1 && e.tokenId() >= 0) {
          synchronized (self) {
            self.get().abort();
          }
        }
      };
      synchronized (self) {
        self.set(engine.submit(new GenerationRequest("n", prompt(2, 10), SamplingParams.greedy(30).withN(3)), l));
      }
      GenerationResult r = await(self.get());
      assertThat(r.choices()).hasSize(3).allMatch(c -> c.finishReason() == FinishReason.ABORT);
      assertThat(ev.events).filteredOn(TokenEvent::isFinal).hasSize(3);
      assertNoLeaks(engine);
    }
  }
}
