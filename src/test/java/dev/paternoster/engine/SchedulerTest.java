package dev.paternoster.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The scheduling rules, step by step, without threads or a model: each "step" schedules, pretends
 * the forward ran, samples token " d" for every sequence that needs a token, and postprocesses.
 */
class SchedulerTest {
  private static final int TOKEN = FakeTokenizer.word('d');

  private final FakeTokenizer tokenizer = new FakeTokenizer();
  private BlockManager blocks;
  private Scheduler scheduler;
  private long arrivals;

  private void setup(EngineConfig config) {
    blocks = new BlockManager(config.numPages(), config.pageSize());
    scheduler = new Scheduler(blocks, config, config.maxNumSeqs(), config.maxNumBatchedTokens(), r -> {});
  }

  private static EngineConfig.Builder cfg(int pages, int budget) {
    return EngineConfig.builder().numPages(pages).pageSize(4).maxNumSeqs(8).maxNumBatchedTokens(budget);
  }

  private RequestState add(String id, int promptLen, int maxTokens) {
    return add(id, promptLen, maxTokens, 0, 1);
  }

  private RequestState add(String id, int promptLen, int maxTokens, int priority, int n) {
    SamplingParams p = SamplingParams.greedy(maxTokens).withN(n);
    return add(new GenerationRequest(id, Harness.prompt(id.hashCode(), promptLen), p, priority));
  }

  private RequestState add(GenerationRequest req) {
    RequestState r = new RequestState(req, TokenListener.NONE, tokenizer, 4, System.nanoTime(), ++arrivals, scheduler.step(), x -> {});
    scheduler.add(r);
    return r;
  }

  private ScheduledBatch step() {
    ScheduledBatch b = scheduler.schedule(System.nanoTime());
    Sample[] samples = new Sample[b.entries().size()];
    for (int i = 0; i < samples.length; i++) if (b.entries().get(i).sample()) samples[i] = new Sample(TOKEN, Float.NaN, null);
    scheduler.postprocess(b, samples, System.nanoTime());
    blocks.checkInvariants(false);
    return b;
  }

  /** "id:KIND:tokens" per entry. */
  private static List<String> describe(ScheduledBatch b) {
    List<String> out = new ArrayList<>();
    for (ScheduledBatch.Entry e : b.entries()) out.add(e.seq().id() + (e.seq().choiceIndex > 0 ? "#" + e.seq().choiceIndex : "") + ":" + e.kind() + ":" + e.numNew());
    return out;
  }

  private void runToEnd() {
    for (int i = 0; i < 10_000 && scheduler.hasWork(); i++) step();
    assertThat(scheduler.hasWork()).isFalse();
    blocks.checkInvariants(true);
  }

  @Test
  void decodeTokensComeFirstThenPromptChunksWithinTheBudget() {
    setup(cfg(100, 16).build());
    add("A", 8, 10);
    assertThat(describe(step())).containsExactly("A:PREFILL:8");
    assertThat(describe(step())).containsExactly("A:DECODE:1");
    add("B", 30, 5);
    add("C", 30, 5);
    assertThat(describe(step())).containsExactly("A:DECODE:1", "B:PREFILL:15");
    // B's second chunk completes its prompt; C gets nothing this step (budget spent).
    assertThat(describe(step())).containsExactly("A:DECODE:1", "B:PREFILL:15");
    assertThat(describe(step())).containsExactly("A:DECODE:1", "B:DECODE:1", "C:PREFILL:14");
    for (int i = 0; i < 50 && scheduler.hasWork(); i++) {
      assertThat(step().numTokens()).isLessThanOrEqualTo(16);
    }
    runToEnd();
  }

  @Test
  void aLongPromptIsChunkedAndNeverStallsOthersDecoding() {
    setup(cfg(200, 16).build());
    add("A", 5, 40);
    add("B", 5, 40);
    step();
    add("L", 200, 3);
    int chunks = 0;
    while (scheduler.hasWork()) {
      ScheduledBatch b = step();
      List<String> d = describe(b);
      if (d.stream().anyMatch(s -> s.startsWith("L:PREFILL"))) {
        chunks++;
        // Every step that carries a chunk of L also carries A's and B's decode tokens (while they live).
        assertThat(d.subList(0, 2)).containsExactly("A:DECODE:1", "B:DECODE:1");
        assertThat(b.numTokens()).isLessThanOrEqualTo(16);
        if (!b.entries().get(2).sample()) assertThat(b.numTokens()).as("a middle chunk fills the budget").isEqualTo(16);
      }
    }
    assertThat(chunks).isEqualTo((int) Math.ceil(200 / 14.0));
    blocks.checkInvariants(true);
  }

  @Test
  void admissionWaitsUntilTheCacheHoldsTheFirstChunkAndNobodyOvertakes() {
    setup(cfg(6, 64).build()); // 24 token positions
    add("A", 16, 4); // 4 pages for the prompt, a 5th for its decode tokens
    assertThat(describe(step())).containsExactly("A:PREFILL:16");
    add("B", 12, 2); // needs 3 pages, 1 free after A's 5th page
    add("C", 2, 2); // would fit, but must not overtake B
    for (int i = 0; i < 3; i++) { // A's tokens 2..4; the 4th finishes A and frees its pages
      assertThat(describe(step())).containsExactly("A:DECODE:1");
      assertThat(scheduler.numWaiting()).isEqualTo(2);
    }
    assertThat(describe(step())).containsExactly("B:PREFILL:12", "C:PREFILL:2");
    runToEnd();
  }

  @Test
  void preemptionUnderFcfsTakesTheNewestAdmissionAndRecomputesIt() {
    setup(cfg(4, 64).enablePrefixCaching(false).build()); // 16 positions
    RequestState a = add("A", 6, 8);
    RequestState b = add("B", 6, 8);
    assertThat(describe(step())).containsExactly("A:PREFILL:6", "B:PREFILL:6");
    // A at 7 tokens, B at 7: both need their 2nd page ... then the 3rd at token 9: 2+2 pages used.
    step();
    step();
    // Next decode of A needs a 3rd page and none is free: B (admitted last) is preempted.
    ScheduledBatch b4 = step();
    assertThat(describe(b4)).containsExactly("A:DECODE:1");
    assertThat(b4.preemptions()).isEqualTo(1);
    assertThat(scheduler.preemptionsTotal).isEqualTo(1);
    Sequence victim = b.sequences[0];
    assertThat(victim.status).isEqualTo(Sequence.Status.WAITING);
    assertThat(victim.numComputed).isZero();
    assertThat(victim.numPages).isZero();
    assertThat(victim.numOutput()).isEqualTo(3); // keeps its output, recomputes it later
    assertThat(a.sequences[0].status).isEqualTo(Sequence.Status.RUNNING);
    runToEnd();
    assertThat(victim.numOutput()).isEqualTo(8);
  }

  @Test
  void preemptionUnderPriorityTakesTheLowestPriorityEvenIfOlder() {
    setup(cfg(4, 64).policy(EngineConfig.Policy.PRIORITY).enablePrefixCaching(false).build());
    RequestState low = add("LOW", 6, 8, 5, 1);
    step();
    RequestState high = add("HIGH", 6, 8, 0, 1);
    step();
    for (int i = 0; i < 6 && scheduler.preemptionsTotal == 0; i++) step();
    assertThat(scheduler.preemptionsTotal).isEqualTo(1);
    assertThat(low.sequences[0].status).isEqualTo(Sequence.Status.WAITING);
    assertThat(high.sequences[0].status).isEqualTo(Sequence.Status.RUNNING);
    runToEnd();
  }

  @Test
  void priorityOrdersAdmissionLowestValueFirst() {
    setup(cfg(100, 64).maxNumSeqs(1).policy(EngineConfig.Policy.PRIORITY).build());
    add("P5", 4, 1, 5, 1);
    add("P0", 4, 1, 0, 1);
    add("P2", 4, 1, 2, 1);
    add("P0b", 4, 1, 0, 1);
    List<String> order = new ArrayList<>();
    while (scheduler.hasWork()) {
      for (ScheduledBatch.Entry e : step().entries()) if (e.kind() == StepEntry.Kind.PREFILL) order.add(e.seq().id());
    }
    assertThat(order).containsExactly("P0", "P0b", "P2", "P5");
  }

  @Test
  void underPriorityAgingLetsALowPriorityRequestThroughAStreamOfHighOnes() {
    setup(cfg(100, 64).maxNumSeqs(1).policy(EngineConfig.Policy.PRIORITY).priorityAgingSteps(4).build());
    add("LOW", 4, 2, 3, 1);
    int servedAt = -1;
    for (int i = 0; i < 200 && servedAt < 0; i++) {
      add("H" + i, 4, 2, 0, 1); // a new high-priority request every step
      for (ScheduledBatch.Entry e : step().entries()) if (e.seq().id().equals("LOW")) servedAt = i;
    }
    // LOW waited 3 levels * 4 steps; arrivals after that rank behind it.
    assertThat(servedAt).isBetween(0, 40);
  }

  @Test
  void underFcfsAStreamOfSmallArrivalsCannotOvertakeAWaitingLargeRequest() {
    setup(cfg(10, 64).build()); // 40 positions
    add("A", 20, 12); // holds 5..8 pages while it runs
    step();
    add("BIG", 30, 2); // needs 8 pages: must wait for A
    int bigAt = -1;
    for (int i = 0; i < 100 && bigAt < 0; i++) {
      add("s" + i, 2, 1); // each would fit right now
      ScheduledBatch b = step();
      for (ScheduledBatch.Entry e : b.entries()) if (e.seq().id().equals("BIG")) bigAt = i;
      if (bigAt < 0) {
        assertThat(b.entries()).as("nobody overtakes BIG").allMatch(e -> e.seq().id().equals("A"));
      }
    }
    assertThat(bigAt).isGreaterThanOrEqualTo(0);
    runToEnd();
  }

  @Test
  void staticModeRunsOneBatchToCompletionAndAdmitsNobodyMidFlight() {
    setup(cfg(100, 64).mode(EngineConfig.Mode.STATIC).maxBatchSize(2).build());
    add("A", 4, 3);
    add("B", 4, 8);
    add("C", 4, 2);
    assertThat(describe(step())).containsExactly("A:PREFILL:4", "B:PREFILL:4");
    add("D", 4, 2);
    // A finishes after 3 tokens; C and D still wait until B is done too.
    for (int i = 0; i < 7; i++) {
      assertThat(step().entries()).allMatch(e -> e.seq().id().equals("A") || e.seq().id().equals("B"));
    }
    assertThat(scheduler.numRunning()).isZero();
    assertThat(describe(step())).containsExactly("C:PREFILL:4", "D:PREFILL:4");
    runToEnd();
  }

  @Test
  void prefixCacheHitReusesPagesAndComputesOnlyTheRest() {
    setup(cfg(100, 64).build());
    int[] prompt = Harness.prompt(7, 22);
    RequestState a = add(new GenerationRequest("A", prompt, SamplingParams.greedy(3)));
    step();
    RequestState b = add(new GenerationRequest("B", prompt, SamplingParams.greedy(3)));
    ScheduledBatch s = step();
    assertThat(describe(s)).containsExactly("A:DECODE:1", "B:PREFILL:2");
    Sequence sa = a.sequences[0];
    Sequence sb = b.sequences[0];
    for (int i = 0; i < 5; i++) {
      assertThat(sb.blockTable[i]).isEqualTo(sa.blockTable[i]);
      assertThat(blocks.refCount(sa.blockTable[i])).isEqualTo(2);
    }
    assertThat(sb.blockTable[5]).isNotEqualTo(sa.blockTable[5]);
    assertThat(b.prefixCachedTokens).isEqualTo(20);
    assertThat(scheduler.prefixHitsTotal).isEqualTo(20);
    runToEnd();
    // Freed pages stay cache hits until reused.
    RequestState c = add(new GenerationRequest("C", prompt, SamplingParams.greedy(1)));
    assertThat(describe(step())).containsExactly("C:PREFILL:2");
    assertThat(c.prefixCachedTokens).isEqualTo(20);
    runToEnd();
  }

  @Test
  void aPromptThatIsAllCachedStillComputesItsLastToken() {
    setup(cfg(100, 64).build());
    int[] prompt = Harness.prompt(3, 16); // exactly 4 pages
    add(new GenerationRequest("A", prompt, SamplingParams.greedy(1)));
    runToEnd();
    add(new GenerationRequest("B", prompt, SamplingParams.greedy(1)));
    // The last page is not a hit (it would be written again): 12 cached, 4 computed.
    assertThat(describe(step())).containsExactly("B:PREFILL:4");
    runToEnd();
  }

  @Test
  void nChoicesShareThePromptPages() {
    setup(cfg(100, 64).build());
    RequestState r = add("N", 18, 4, 0, 3);
    assertThat(describe(step())).containsExactly("N:PREFILL:18");
    // Choice 0 computed the prompt: the siblings are admitted with 4 shared pages, computing only 2 tokens.
    assertThat(describe(step())).containsExactly("N:DECODE:1", "N#1:PREFILL:2", "N#2:PREFILL:2");
    int page0 = r.sequences[0].blockTable[0];
    assertThat(blocks.refCount(page0)).isEqualTo(3);
    for (int c = 1; c < 3; c++) {
      for (int i = 0; i < 4; i++) assertThat(r.sequences[c].blockTable[i]).isEqualTo(r.sequences[0].blockTable[i]);
      assertThat(r.sequences[c].blockTable[4]).isNotEqualTo(r.sequences[0].blockTable[4]);
    }
    runToEnd();
    assertThat(r.isDone()).isTrue();
  }

  @Test
  void endingARequestFreesItsPagesWhetherRunningOrWaiting() {
    setup(cfg(8, 64).maxNumSeqs(1).build());
    RequestState a = add("A", 10, 10);
    RequestState b = add("B", 10, 10);
    step();
    assertThat(blocks.numUsedPages()).isEqualTo(3);
    assertThat(scheduler.end(b, FinishReason.ABORT, null)).hasSize(1); // waiting
    assertThat(scheduler.end(a, FinishReason.ABORT, null)).hasSize(1); // running
    assertThat(scheduler.hasWork()).isFalse();
    blocks.checkInvariants(true);
  }
}
