package dev.paternoster.engine;

import static dev.paternoster.engine.Harness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** End-to-end behaviour of the engine on the fake model. */
class EngineTest {

  @Test
  void batchedGreedyOutputsEqualEachRequestAlone() {
    FakeModel model = new FakeModel();
    Steps steps = new Steps();
    try (Engine engine = Engine.start(model, config(200).maxWait(Duration.ofSeconds(5)).maxNumSeqs(6).maxNumBatchedTokens(256).build())) {
      engine.addObserver(steps);
      List<RequestHandle> hs = new ArrayList<>();
      for (int i = 0; i < 6; i++) hs.add(engine.submit(new GenerationRequest("r" + i, prompt(i, 3 + 7 * i), SamplingParams.greedy(5 + i)), null));
      for (int i = 0; i < 6; i++) {
        assertThat(await(hs.get(i)).choice().tokenIds()).as("r" + i).containsExactly(alone(FakeModel::defaultRule, prompt(i, 3 + 7 * i), SamplingParams.greedy(5 + i)));
      }
      assertThat(steps.all().getFirst().entries()).hasSize(6); // held until the batch was full
      assertNoLeaks(engine);
    }
  }

  @Test
  void aLongPromptIsPrefilledInChunksWhileAnotherRequestKeepsDecoding() {
    FakeModel model = new FakeModel();
    model.beforeForward = b -> sleep(1); // so that A and A2 are still decoding when L arrives
    Steps steps = new Steps();
    try (Engine engine = Engine.start(model, config(400).maxNumBatchedTokens(32).build())) {
      engine.addObserver(steps);
      RequestHandle a = engine.submit(new GenerationRequest("A", prompt(1, 5), SamplingParams.greedy(200)), null);
      Events first = new Events();
      RequestHandle a2 = engine.submit(new GenerationRequest("A2", prompt(2, 5), SamplingParams.greedy(200)), first);
      while (first.events.size() < 2) Thread.onSpinWait();
      RequestHandle l = engine.submit(new GenerationRequest("L", prompt(3, 300), SamplingParams.greedy(3)), null);
      await(l);
      await(a);
      await(a2);
      List<StepStats> withL = steps.all().stream().filter(s -> s.entries().stream().anyMatch(e -> e.requestId().equals("L") && e.kind() == StepEntry.Kind.PREFILL)).toList();
      assertThat(withL.size()).isGreaterThanOrEqualTo(300 / 30);
      for (StepStats s : withL) {
        assertThat(s.batchTokens()).isLessThanOrEqualTo(32);
        assertThat(s.entries()).filteredOn(e -> e.kind() == StepEntry.Kind.DECODE).extracting(StepEntry::requestId).contains("A", "A2");
      }
      StepEntry last = withL.getLast().entries().stream().filter(e -> e.requestId().equals("L")).findFirst().orElseThrow();
      assertThat(last.computedTokens()).isEqualTo(300);
      assertThat(await(l).choice().tokenIds()).containsExactly(alone(FakeModel::defaultRule, prompt(3, 300), SamplingParams.greedy(3)));
      assertNoLeaks(engine);
    }
  }

  @Test
  void preemptionByRecomputeKeepsOutputsExactAndIsCounted() {
    FakeModel model = new FakeModel();
    // 12 pages of 4 = 48 positions; five requests of up to 40 positions each must take turns.
    // maxWait only gathers the first batch: preempted sequences never wait for it (await times out at 20 s).
    try (Engine engine = Engine.start(model, config(12).maxModelLen(48).maxWait(Duration.ofSeconds(60)).maxNumSeqs(5).build())) {
      List<RequestHandle> hs = new ArrayList<>();
      for (int i = 0; i < 5; i++) hs.add(engine.submit(new GenerationRequest("p" + i, prompt(10 + i, 12), SamplingParams.greedy(28)), null));
      for (int i = 0; i < 5; i++) {
        assertThat(await(hs.get(i)).choice().tokenIds()).containsExactly(alone(FakeModel::defaultRule, prompt(10 + i, 12), SamplingParams.greedy(28)));
      }
      assertThat(engine.snapshot().preemptionsTotal()).isPositive();
      assertNoLeaks(engine);
    }
  }

  @Test
  void prefixCacheHitsComputeFewerTokensAndGiveTheSameOutput() {
    FakeModel model = new FakeModel();
    try (Engine engine = Engine.start(model, config(200).build())) {
      int[] p = prompt(5, 41);
      GenerationResult first = await(engine.submit(new GenerationRequest("a", p, SamplingParams.greedy(4)), null));
      int computedBefore = model.tokensComputed;
      GenerationResult second = await(engine.submit(new GenerationRequest("b", p, SamplingParams.greedy(4)), null));
      int computed = model.tokensComputed - computedBefore;
      assertThat(second.choice().tokenIds()).containsExactly(first.choice().tokenIds());
      assertThat(second.timings().prefixCachedTokens()).isEqualTo(40);
      assertThat(computed).isEqualTo(1 + 3); // last prompt token, then 3 decode steps
      EngineSnapshot s = engine.snapshot();
      assertThat(s.prefixCacheHitsTotal()).isEqualTo(40);
      assertThat(s.prefixCacheQueriesTotal()).isEqualTo(82);
      assertThat(s.kvPagesCached()).isPositive();
      assertNoLeaks(engine);
    }
  }

  @Test
  void prefixCachingOffComputesEverythingAgain() {
    FakeModel model = new FakeModel();
    try (Engine engine = Engine.start(model, config(200).enablePrefixCaching(false).build())) {
      int[] p = prompt(5, 41);
      await(engine.submit(new GenerationRequest("a", p, SamplingParams.greedy(4)), null));
      int before = model.tokensComputed;
      GenerationResult r = await(engine.submit(new GenerationRequest("b", p, SamplingParams.greedy(4)), null));
      assertThat(model.tokensComputed - before).isEqualTo(41 + 3);
      assertThat(r.timings().prefixCachedTokens()).isZero();
      assertThat(engine.snapshot().kvPagesCached()).isZero();
      assertNoLeaks(engine);
    }
  }

  @Test
  void nChoicesSharePromptPagesAndSampleIndependently() {
    FakeModel model = new FakeModel();
    try (Engine engine = Engine.start(model, config(200).build())) {
      int[] p = prompt(6, 30);
      Events ev = new Events();
      GenerationResult greedy = await(engine.submit(new GenerationRequest("g", p, SamplingParams.greedy(6).withN(3)), ev));
      assertThat(greedy.choices()).hasSize(3);
      int[] expected = alone(FakeModel::defaultRule, p, SamplingParams.greedy(6));
      for (int c = 0; c < 3; c++) {
        assertThat(greedy.choices().get(c).index()).isEqualTo(c);
        assertThat(greedy.choices().get(c).tokenIds()).containsExactly(expected);
        assertThat(ev.text(c)).isEqualTo(greedy.choices().get(c).text());
      }
      assertThat(greedy.completionTokens()).isEqualTo(18);
      // Choices 1 and 2 found choice 0's 7 full prompt pages in the cache.
      assertThat(engine.snapshot().prefixCacheHitsTotal()).isEqualTo(2 * 28);

      SamplingParams seeded = SamplingParams.builder().temperature(1).maxTokens(12).n(3).seed(99L).build();
      GenerationResult s1 = await(engine.submit(new GenerationRequest("s1", p, seeded), null));
      GenerationResult s2 = await(engine.submit(new GenerationRequest("s2", p, seeded), null));
      for (int c = 0; c < 3; c++) assertThat(s1.choices().get(c).tokenIds()).containsExactly(s2.choices().get(c).tokenIds());
      assertThat(s1.choices().get(0).tokenIds()).isNotEqualTo(s1.choices().get(1).tokenIds());
      assertNoLeaks(engine);
    }
  }

  @Test
  void aSeededRequestGivesTheSameOutputWhateverItsBatchNeighbours() {
    SamplingParams p = SamplingParams.builder().temperature(1.2f).topP(0.9f).topK(20).maxTokens(20).seed(1234L).build();
    int[] prompt = prompt(8, 9);
    int[] ref = alone(FakeModel::defaultRule, prompt, p);
    FakeModel model = new FakeModel();
    // Small KV and a small budget: neighbours, chunking and preemption all change around it.
    try (Engine engine = Engine.start(model, config(14).maxModelLen(56).maxNumBatchedTokens(8).maxNumSeqs(4).build())) {
      for (int round = 0; round < 3; round++) {
        List<RequestHandle> others = new ArrayList<>();
        for (int i = 0; i < round * 2; i++) {
          others.add(engine.submit(new GenerationRequest("o" + round + i, prompt(20 + i, 5 + 6 * i), SamplingParams.builder().temperature(1).maxTokens(25).build()), null));
        }
        RequestHandle h = engine.submit(new GenerationRequest("seeded" + round, prompt, p), null);
        assertThat(await(h).choice().tokenIds()).as("round " + round).containsExactly(ref);
        others.forEach(Harness::await);
      }
      assertNoLeaks(engine);
    }
  }

  @Test
  void stopStringsNeverReachTheStream() {
    int[] prompt = prompt(1, 6);
    FakeModel model = new FakeModel(
        FakeModel.scripted(6, FakeTokenizer.word('h'), FakeTokenizer.letter('i'), FakeTokenizer.ST, FakeTokenizer.OP, FakeTokenizer.word('z')), 2048, 4096);
    try (Engine engine = Engine.start(model, config(100).build())) {
      Events ev = new Events();
      GenerationResult r = await(engine.submit(new GenerationRequest("s", prompt, SamplingParams.builder().temperature(0).maxTokens(10).stop("STOP").build()), ev));
      assertThat(r.choice().text()).isEqualTo(" hi");
      assertThat(r.choice().finishReason()).isEqualTo(FinishReason.STOP);
      assertThat(r.choice().stopReason()).isEqualTo("STOP");
      assertThat(r.choice().tokenIds()).hasSize(4);
      assertThat(ev.events).extracting(TokenEvent::textDelta).noneMatch(d -> d.contains("S") || d.contains("O"));
      assertThat(ev.text(0)).isEqualTo(" hi");
      assertNoLeaks(engine);
    }
  }

  @Test
  void endOfGenerationStopsAndLogprobsMatchTheModel() {
    int[] prompt = prompt(2, 5);
    FakeModel model = new FakeModel(FakeModel.scripted(5, FakeTokenizer.word('o'), FakeTokenizer.word('k'), FakeTokenizer.EOS), 2048, 4096);
    try (Engine engine = Engine.start(model, config(100).build())) {
      Events ev = new Events();
      GenerationResult r = await(engine.submit(new GenerationRequest("e", prompt, SamplingParams.greedy(10).withLogprobs(2)), ev));
      Choice c = r.choice();
      assertThat(c.tokenIds()).containsExactly(FakeTokenizer.word('o'), FakeTokenizer.word('k'), FakeTokenizer.EOS);
      assertThat(c.text()).isEqualTo(" o k");
      assertThat(c.finishReason()).isEqualTo(FinishReason.STOP);
      assertThat(c.stopReason()).isNull();
      assertThat(c.logprobs()).hasSize(3);
      int[] ctx = java.util.Arrays.copyOf(prompt, 8);
      for (int i = 0; i < 3; i++) {
        float[] row = new float[FakeTokenizer.VOCAB];
        model.logits(ctx, 5 + i, row, 0);
        double lse = Sampler.logSumExp(row, row.length);
        TokenLogprobs lp = c.logprobs().get(i);
        assertThat((double) lp.logprob()).isCloseTo(row[c.tokenIds()[i]] - lse, within(1e-5));
        assertThat(lp.top()).hasSize(2);
        assertThat(lp.top().getFirst().tokenId()).isEqualTo(c.tokenIds()[i]); // greedy = best
        assertThat(ev.of(0).get(i).topLogprobs()).isEqualTo(lp.top());
        ctx[5 + i] = c.tokenIds()[i];
      }
      assertNoLeaks(engine);
    }
  }

  @Test
  void anExceptionInForwardFailsOnlyTheRequestsOfThatStep() {
    FakeModel model = new FakeModel();
    model.beforeForward = b -> {
      for (int t : b.tokens()) if (t == FakeTokenizer.BANG) throw new IllegalStateException("poisoned batch");
    };
    int[] poison = prompt(3, 8);
    poison[4] = FakeTokenizer.BANG;
    try (Engine engine = Engine.start(model, config(100).maxNumSeqs(1).build())) {
      Events ev = new Events();
      RequestHandle bad = engine.submit(new GenerationRequest("bad", poison, SamplingParams.greedy(5)), ev);
      RequestHandle good = engine.submit(new GenerationRequest("good", prompt(4, 8), SamplingParams.greedy(5)), null);
      GenerationResult b = await(bad);
      assertThat(b.choice().finishReason()).isEqualTo(FinishReason.ERROR);
      assertThat(b.choice().stopReason()).contains("poisoned batch");
      assertThat(ev.events).hasSize(1);
      assertThat(ev.events.getFirst().finishReason()).isEqualTo(FinishReason.ERROR);
      assertThat(await(good).choice().tokenIds()).containsExactly(alone(FakeModel::defaultRule, prompt(4, 8), SamplingParams.greedy(5)));
      assertNoLeaks(engine);
    }
    // Two requests in the same failing step: the step is rerun request by request, so only the
    // poisoned one fails and its neighbour gets exactly its normal output; the engine goes on.
    try (Engine engine = Engine.start(model, config(100).maxWait(Duration.ofMillis(300)).maxNumSeqs(2).build())) {
      Steps steps = new Steps();
      engine.addObserver(steps);
      RequestHandle x = engine.submit(new GenerationRequest("x", prompt(5, 8), SamplingParams.greedy(5)), null);
      RequestHandle bad = engine.submit(new GenerationRequest("bad", poison, SamplingParams.greedy(5)), null);
      assertThat(await(x).choice().tokenIds()).containsExactly(alone(FakeModel::defaultRule, prompt(5, 8), SamplingParams.greedy(5)));
      assertThat(await(bad).choice().finishReason()).isEqualTo(FinishReason.ERROR);
      assertThat(await(bad).choice().stopReason()).contains("poisoned batch");
      assertThat(steps.all().getFirst().entries()).as("they did share the failing step").hasSize(2);
      GenerationResult after = await(engine.submit(new GenerationRequest("after", prompt(5, 8), SamplingParams.greedy(5)), null));
      assertThat(after.choice().finishReason()).isEqualTo(FinishReason.LENGTH);
      assertNoLeaks(engine);
    }
  }

  @Test
  void aStepThatFailsOnlyInCompanyIsRerunAndNobodyFails() {
    // A failure that depends on the batch (say, memory for a large step) is not any request's
    // fault: when the step is rerun request by request, every request gets its normal output.
    FakeModel model = new FakeModel();
    java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
    model.beforeForward = b -> {
      if (b.blockTables().length > 1 && failures.getAndIncrement() < 3) throw new OutOfMemoryError("step too large");
    };
    try (Engine engine = Engine.start(model, config(100).maxWait(Duration.ofMillis(300)).maxNumSeqs(3).build())) {
      List<RequestHandle> hs = new ArrayList<>();
      for (int i = 0; i < 3; i++) hs.add(engine.submit(new GenerationRequest("r" + i, prompt(10 + i, 6), SamplingParams.greedy(6)), null));
      for (int i = 0; i < 3; i++) {
        assertThat(await(hs.get(i)).choice().tokenIds()).containsExactly(alone(FakeModel::defaultRule, prompt(10 + i, 6), SamplingParams.greedy(6)));
      }
      assertThat(failures.get()).isGreaterThanOrEqualTo(3);
      assertNoLeaks(engine);
    }
  }

  @Test
  void maxWaitHoldsTheFirstArrivalUntilTheBatchIsFull() throws Exception {
    FakeModel model = new FakeModel();
    Steps steps = new Steps();
    try (Engine engine = Engine.start(model, config(100).maxNumSeqs(3).maxWait(Duration.ofSeconds(30)).build())) {
      engine.addObserver(steps);
      RequestHandle a = engine.submit(new GenerationRequest("a", prompt(1, 4), SamplingParams.greedy(2)), null);
      RequestHandle b = engine.submit(new GenerationRequest("b", prompt(2, 4), SamplingParams.greedy(2)), null);
      Thread.sleep(200);
      assertThat(model.forwardCalls).as("held: batch not full, maxWait not over").isZero();
      assertThat(engine.snapshot().waiting()).isEqualTo(2);
      RequestHandle c = engine.submit(new GenerationRequest("c", prompt(3, 4), SamplingParams.greedy(2)), null);
      await(a);
      await(b);
      await(c);
      assertThat(steps.all().getFirst().entries()).extracting(StepEntry::requestId).containsExactly("a", "b", "c");
      assertThat(await(a).timings().queueSeconds()).isGreaterThanOrEqualTo(0.2);
      assertNoLeaks(engine);
    }
  }

  @Test
  void maxWaitExpiresForALoneRequest() {
    FakeModel model = new FakeModel();
    try (Engine engine = Engine.start(model, config(100).maxWait(Duration.ofMillis(150)).build())) {
      GenerationResult r = await(engine.submit(new GenerationRequest("a", prompt(1, 4), SamplingParams.greedy(2)), null));
      assertThat(r.timings().queueSeconds()).isGreaterThanOrEqualTo(0.15);
      assertThat(r.timings().ttftSeconds()).isGreaterThanOrEqualTo(r.timings().queueSeconds());
      assertThat(r.timings().e2eSeconds()).isGreaterThanOrEqualTo(r.timings().ttftSeconds());
      assertNoLeaks(engine);
    }
  }

  @Test
  void staticModeMatchesContinuousOutputsAndAdmitsNobodyMidFlight() {
    FakeModel model = new FakeModel();
    Steps steps = new Steps();
    try (Engine engine = Engine.start(model, config(200).mode(EngineConfig.Mode.STATIC).maxBatchSize(2).maxWait(Duration.ofSeconds(5)).build())) {
      engine.addObserver(steps);
      List<RequestHandle> hs = new ArrayList<>();
      for (int i = 0; i < 4; i++) hs.add(engine.submit(new GenerationRequest("r" + i, prompt(i, 6), SamplingParams.greedy(3 + 5 * (i % 2))), null));
      for (int i = 0; i < 4; i++) {
        assertThat(await(hs.get(i)).choice().tokenIds()).containsExactly(alone(FakeModel::defaultRule, prompt(i, 6), SamplingParams.greedy(3 + 5 * (i % 2))));
      }
      // r2/r3 appear only after both r0 and r1 are done, although r0 finished 5 steps before r1.
      List<StepStats> all = steps.all();
      int lastOfFirst = -1;
      int firstOfSecond = Integer.MAX_VALUE;
      for (int i = 0; i < all.size(); i++) {
        for (StepEntry e : all.get(i).entries()) {
          if (e.requestId().equals("r0") || e.requestId().equals("r1")) lastOfFirst = i;
          else firstOfSecond = Math.min(firstOfSecond, i);
        }
      }
      assertThat(firstOfSecond).isGreaterThan(lastOfFirst);
      assertNoLeaks(engine);
    }
  }

  @Test
  void submitValidatesBeforeQueueing() {
    FakeModel model = new FakeModel();
    try (Engine engine = Engine.start(model, config(600).build())) {
      assertThat(engine.maxModelLen()).isEqualTo(2048);
      assertInvalid(engine, new GenerationRequest("x", new int[0], SamplingParams.greedy(1)), "prompt", "prompt must not be empty");
      assertInvalid(engine, new GenerationRequest("x", new int[] {1, 64}, SamplingParams.greedy(1)), "prompt", "prompt token 1 is 64, outside the vocabulary [0, 64)");
      assertInvalid(engine, new GenerationRequest("x", prompt(1, 5000), SamplingParams.greedy(1)), "prompt", "prompt has 5000 tokens, the context holds 2048");
      assertInvalid(engine, new GenerationRequest("x", prompt(1, 2000), SamplingParams.greedy(100)), "max_tokens", "prompt has 2000 tokens and max_tokens is 100, together 2100, but the context holds 2048");
      assertInvalid(engine, new GenerationRequest("x", prompt(1, 5), SamplingParams.builder().topP(1.5f).build()), "top_p", "top_p must be in (0, 1], got 1.5");
      assertInvalid(engine, new GenerationRequest(" ", prompt(1, 5), SamplingParams.greedy(1)), "request_id", "request_id must not be empty");
      // The first forward of "dup" blocks until released: the request is certainly alive meanwhile.
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      model.beforeForward = b -> {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      };
      RequestHandle h = engine.submit(new GenerationRequest("dup", prompt(1, 5), SamplingParams.greedy(200)), null);
      assertInvalid(engine, new GenerationRequest("dup", prompt(1, 5), SamplingParams.greedy(1)), "request_id", "request_id 'dup' is already in use");
      h.abort();
      release.countDown();
      assertThat(await(h).choice().finishReason()).isEqualTo(FinishReason.ABORT);
      assertThat(engine.submit(new GenerationRequest("dup", prompt(1, 5), SamplingParams.greedy(1)), null).result().join().choice().tokenIds()).hasSize(1);
      assertNoLeaks(engine);
    }
  }

  private static void assertInvalid(Engine engine, GenerationRequest r, String param, String message) {
    assertThatThrownBy(() -> engine.submit(r, null))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessage(message)
        .satisfies(e -> assertThat(((InvalidRequestException) e).parameter()).isEqualTo(param));
  }

  @Test
  void theWaitingQueueIsCappedAndAClosedEngineRefusesWork() {
    FakeModel model = new FakeModel();
    Engine engine = Engine.start(model, config(100).maxQueuedRequests(2).maxWait(Duration.ofSeconds(30)).build());
    RequestHandle a = engine.submit(new GenerationRequest("a", prompt(1, 4), SamplingParams.greedy(2)), null);
    RequestHandle b = engine.submit(new GenerationRequest("b", prompt(2, 4), SamplingParams.greedy(2)), null);
    assertThatThrownBy(() -> engine.submit(new GenerationRequest("c", prompt(3, 4), SamplingParams.greedy(2)), null))
        .isInstanceOf(QueueFullException.class)
        .hasMessageContaining("waiting queue is full (2 requests)");
    b.abort();
    assertThat(await(b).choice().finishReason()).isEqualTo(FinishReason.ABORT);
    // Aborting a queued request frees its queue slot.
    RequestHandle c = engine.submit(new GenerationRequest("c", prompt(3, 4), SamplingParams.greedy(2)), null);
    engine.close();
    assertThat(await(a).choice().finishReason()).isEqualTo(FinishReason.ABORT);
    assertThat(await(c).choice().finishReason()).isEqualTo(FinishReason.ABORT);
    assertThatThrownBy(() -> engine.submit(new GenerationRequest("d", prompt(3, 4), SamplingParams.greedy(2)), null))
        .isInstanceOf(EngineClosedException.class);
    engine.close(); // idempotent
    assertNoLeaks(engine);
  }

  @Test
  void shutdownLetsRunningRequestsFinishWithinTheGrace() {
    FakeModel model = new FakeModel();
    model.beforeForward = b -> sleep(2);
    Engine engine = Engine.start(model, config(100).build());
    RequestHandle h = engine.submit(new GenerationRequest("a", prompt(1, 4), SamplingParams.greedy(20)), null);
    engine.shutdown(Duration.ofSeconds(20));
    assertThat(h.result()).isDone();
    assertThat(await(h).choice().finishReason()).isEqualTo(FinishReason.LENGTH);
    assertNoLeaks(engine);

    Engine engine2 = Engine.start(model, config(400).build());
    RequestHandle h2 = engine2.submit(new GenerationRequest("b", prompt(1, 4), SamplingParams.greedy(1000)), null);
    engine2.shutdown(Duration.ofMillis(50));
    GenerationResult r = await(h2);
    assertThat(r.choice().finishReason()).isEqualTo(FinishReason.ABORT);
    assertThat(r.choice().tokenIds().length).isLessThan(1000);
    assertNoLeaks(engine2);
  }

  @Test
  void observersSeeEveryStepAndEveryFinishedRequestBeforeItsFutureCompletes() {
    FakeModel model = new FakeModel();
    List<String> finished = java.util.Collections.synchronizedList(new ArrayList<>());
    Steps steps = new Steps();
    try (Engine engine = Engine.start(model, config(100).build())) {
      engine.addObserver(steps);
      engine.addObserver(new EngineObserver() {
        @Override
        public void onRequestFinished(GenerationResult r) {
          finished.add(r.requestId());
        }
      });
      engine.addObserver(new EngineObserver() {
        @Override
        public void onStep(StepStats s) {
          throw new RuntimeException("a broken observer changes nothing");
        }
      });
      GenerationResult r = await(engine.submit(new GenerationRequest("o", prompt(1, 10), SamplingParams.greedy(4)), null));
      assertThat(finished).containsExactly("o");
      List<StepStats> all = steps.all();
      assertThat(all).hasSize(4);
      assertThat(all.getFirst().prefillTokens()).isEqualTo(10);
      assertThat(all.get(1).decodeTokens()).isEqualTo(1);
      assertThat(all).extracting(StepStats::step).containsExactly(1L, 2L, 3L, 4L);
      EngineSnapshot s = engine.snapshot();
      assertThat(s.promptTokensTotal()).isEqualTo(10);
      assertThat(s.generationTokensTotal()).isEqualTo(4);
      assertThat(s.steps()).isEqualTo(4);
      assertThat(s.requestsFinishedTotal()).isEqualTo(1);
      assertThat(s.capacityTokens()).isEqualTo(engine.capacityTokens()).isEqualTo(400);
      assertThat(r.timings().meanInterTokenSeconds()).isPositive();
      assertNoLeaks(engine);
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
