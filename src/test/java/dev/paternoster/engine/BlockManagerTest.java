package dev.paternoster.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BlockManagerTest {
  private final FakeTokenizer tokenizer = new FakeTokenizer();
  private long order;

  private Sequence seq(int[] prompt, int maxTokens) {
    GenerationRequest req = new GenerationRequest("r" + order, prompt, SamplingParams.greedy(maxTokens));
    return new RequestState(req, null, tokenizer, 4, 0, ++order, 0, r -> {}).sequences[0];
  }

  /** Pretends the whole prompt was computed. */
  private static void compute(BlockManager bm, Sequence s) {
    s.numComputed = s.numTokens;
    bm.cacheFullPages(s);
  }

  @Test
  void allocatesOnlyWhatTheTokensNeedAndFreesEverything() {
    BlockManager bm = new BlockManager(10, 4);
    Sequence s = seq(Harness.prompt(1, 9), 8);
    BlockManager.PrefixHit hit = bm.lookup(s);
    assertThat(hit.count()).isZero();
    assertThat(bm.canAllocate(hit, 9)).isTrue();
    bm.allocate(s, hit, 9);
    assertThat(s.numPages).isEqualTo(3);
    assertThat(bm.numFreePages()).isEqualTo(7);
    compute(bm, s);
    // Position 9 still fits page 2; a new page only when a token starts one.
    assertThat(bm.canAppend(s, 3)).isTrue();
    bm.mayAppend(s, 3);
    assertThat(s.numPages).isEqualTo(3);
    s.numComputed = 12;
    bm.mayAppend(s, 1);
    assertThat(s.numPages).isEqualTo(4);
    bm.deallocate(s);
    assertThat(bm.numFreePages()).isEqualTo(10);
    bm.checkInvariants(true);
  }

  @Test
  void freedFullPagesStayCacheHitsUntilReusedThenTheyAreEvicted() {
    BlockManager bm = new BlockManager(4, 4);
    int[] prompt = Harness.prompt(2, 9);
    Sequence a = seq(prompt, 1);
    bm.allocate(a, bm.lookup(a), 9);
    compute(bm, a);
    int page0 = a.blockTable[0];
    bm.deallocate(a);
    assertThat(bm.numCachedPages()).isEqualTo(2); // two full pages, the partial third is not hashed
    assertThat(bm.numFreePages()).isEqualTo(4);

    Sequence b = seq(prompt, 1);
    BlockManager.PrefixHit hit = bm.lookup(b);
    assertThat(hit.count()).isEqualTo(2);
    assertThat(hit.pages()[0]).isEqualTo(page0);
    assertThat(hit.unreferenced()).isEqualTo(2);
    bm.allocate(b, hit, 9);
    assertThat(bm.refCount(page0)).isEqualTo(1);
    assertThat(bm.numCachedPages()).isZero();
    bm.deallocate(b);

    // Fill the cache with something else: the LRU pages (our cached ones included) get reused.
    Sequence c = seq(Harness.prompt(3, 16), 1);
    bm.allocate(c, bm.lookup(c), 16);
    assertThat(bm.lookup(seq(prompt, 1)).count()).isZero();
    bm.deallocate(c);
    bm.checkInvariants(true);
  }

  @Test
  void evictionTakesTheLeastRecentlyFreedPageFirst() {
    BlockManager bm = new BlockManager(3, 4);
    Sequence old = seq(Harness.prompt(4, 5), 1);
    bm.allocate(old, bm.lookup(old), 5);
    compute(bm, old);
    bm.deallocate(old); // page with "old" content now cached, freed first
    Sequence recent = seq(Harness.prompt(5, 5), 1);
    bm.allocate(recent, bm.lookup(recent), 5);
    compute(bm, recent);
    bm.deallocate(recent);
    Sequence filler = seq(Harness.prompt(6, 3), 1);
    bm.allocate(filler, bm.lookup(filler), 3); // takes one page
    // The free list started with the never-used page; the next victims are in freeing order.
    Sequence filler2 = seq(Harness.prompt(7, 3), 1);
    bm.allocate(filler2, bm.lookup(filler2), 3);
    assertThat(bm.lookup(seq(Harness.prompt(4, 5), 1)).count()).as("least recently freed is evicted").isZero();
    assertThat(bm.lookup(seq(Harness.prompt(5, 5), 1)).count()).as("more recently freed survives").isEqualTo(1);
    bm.deallocate(filler);
    bm.deallocate(filler2);
    bm.checkInvariants(true);
  }

  @Test
  void sharedPagesAreCountedAndOnlyFreedByTheLastOwner() {
    BlockManager bm = new BlockManager(8, 4);
    int[] prompt = Harness.prompt(8, 13);
    Sequence a = seq(prompt, 2);
    bm.allocate(a, bm.lookup(a), 13);
    compute(bm, a);
    Sequence b = seq(prompt, 2);
    BlockManager.PrefixHit hit = bm.lookup(b);
    assertThat(hit.count()).isEqualTo(3);
    assertThat(hit.unreferenced()).isZero();
    // 3 shared + 1 fresh page: only the fresh one comes out of the free list.
    assertThat(bm.canAllocate(hit, 13)).isTrue();
    bm.allocate(b, hit, 13);
    assertThat(bm.numFreePages()).isEqualTo(8 - 4 - 1);
    assertThat(bm.refCount(a.blockTable[0])).isEqualTo(2);
    bm.deallocate(a);
    assertThat(bm.refCount(b.blockTable[0])).isEqualTo(1);
    assertThat(bm.numFreePages()).isEqualTo(4);
    bm.deallocate(b);
    bm.checkInvariants(true);
  }

  @Test
  void aHitThatIsStillFreeCountsAgainstFreshAllocation() {
    BlockManager bm = new BlockManager(4, 4);
    int[] prompt = Harness.prompt(9, 13);
    Sequence a = seq(prompt, 1);
    bm.allocate(a, bm.lookup(a), 13);
    compute(bm, a);
    bm.deallocate(a);
    Sequence b = seq(prompt, 8);
    b.numTokens = 13;
    BlockManager.PrefixHit hit = bm.lookup(b);
    assertThat(hit.count()).isEqualTo(3);
    // 3 hit pages leave the free list, 1 page left: room for up to 16 tokens, not 17.
    assertThat(bm.canAllocate(hit, 16)).isTrue();
    assertThat(bm.canAllocate(hit, 17)).isFalse();
  }

  @Test
  void contentIsVerifiedAndDoubleFreeIsCaught() {
    BlockManager bm = new BlockManager(4, 4);
    Sequence a = seq(Harness.prompt(10, 5), 1);
    bm.allocate(a, bm.lookup(a), 5);
    bm.deallocate(a);
    a.numPages = 1;
    assertThatThrownBy(() -> bm.deallocate(a)).hasMessageContaining("freed twice");
  }

  @Test
  void whenPromptRowsMatterAPageComputedAsGeneratedTokensIsNoHitForAPrompt() {
    for (boolean matter : new boolean[] {false, true}) {
      BlockManager bm = new BlockManager(8, 4, matter);
      // A: a prompt of 5 tokens, then 3 generated: page 0 holds prompt rows, page 1 generated tokens
      Sequence a = seq(Harness.prompt(3, 5), 3);
      bm.allocate(a, bm.lookup(a), 5);
      for (int t = 0; t < 3; t++) a.append(100 + t);
      bm.mayAppend(a, 3);
      compute(bm, a);
      // B's prompt is A's 8 tokens and one more: as prompt rows, page 1 is computed in llama.cpp's prompt order
      int[] prompt = java.util.Arrays.copyOf(a.tokens, 9);
      prompt[8] = 7;
      Sequence b = seq(prompt, 1);
      assertThat(bm.lookup(b).count()).as("prompt rows matter: %s", matter).isEqualTo(matter ? 1 : 2);
      bm.deallocate(a);
      bm.checkInvariants(true);
    }
  }
}
