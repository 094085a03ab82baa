package dev.paternoster.engine;

import dev.paternoster.model.Batch;

import java.util.Arrays;
import java.util.HashMap;

/**
 * The KV page allocator with prefix caching.
 *
 * <p>Every page has a reference count. Unreferenced pages sit in a free list in eviction order
 * (least recently freed first). A page that has been filled completely gets a content hash, chained
 * from the previous page's hash and its own token ids, and is entered in a hash → page map. Freeing
 * keeps that hash: a freed page stays a prefix-cache hit until the allocator hands it out again
 * (then it is evicted from the map). So "free" here means evictable; {@link #numCachedPages()}
 * tells how many free pages still hold a reusable prefix.
 *
 * <p>Sharing never needs copy-on-write: only full, computed pages are shared, and a sequence only
 * ever writes positions past its computed prefix, i.e. into pages it owns alone.
 */
final class BlockManager {
  private static final long SEED = 0x5A7E_4105_7E12_0001L;

  private final int numPages;
  private final int pageSize;
  private final int[] refCount;
  private final long[] hash;
  private final boolean[] hashed;
  /** Token ids of every hashed page, to verify a hit (a 64-bit collision must not corrupt output). */
  private final int[] pageTokens;

  private final HashMap<Long, Integer> cache = new HashMap<>();

  // Free list as a doubly linked list over page ids, so a cache hit can take a page out of the middle.
  private final int[] prev;
  private final int[] next;
  private int head = -1;
  private int tail = -1;
  private int numFree;
  private int numCachedFree;
  private final boolean promptRowsMatter;

  BlockManager(int numPages, int pageSize) {
    this(numPages, pageSize, false);
  }

  /**
   * @param promptRowsMatter whether a position computed as a prompt row differs from the same token
   *     computed as a generated one ({@code Model.promptRowsMatter}): pages are then keyed by their
   *     prompt rows too, so K/V is reused only where it was computed the same way
   */
  BlockManager(int numPages, int pageSize, boolean promptRowsMatter) {
    this.promptRowsMatter = promptRowsMatter;
    if (numPages < 1) throw new IllegalArgumentException("need at least one KV page");
    this.numPages = numPages;
    this.pageSize = pageSize;
    refCount = new int[numPages];
    hash = new long[numPages];
    hashed = new boolean[numPages];
    pageTokens = new int[Math.multiplyExact(numPages, pageSize)];
    prev = new int[numPages];
    next = new int[numPages];
    for (int p = 0; p < numPages; p++) pushFree(p);
  }

  int numPages() {
    return numPages;
  }

  int pageSize() {
    return pageSize;
  }

  /** Unreferenced pages (plain free plus cached-evictable): what allocation can use. */
  int numFreePages() {
    return numFree;
  }

  /** Unreferenced pages that still hold a prefix-cache entry. */
  int numCachedPages() {
    return numCachedFree;
  }

  int numUsedPages() {
    return numPages - numFree;
  }

  int refCount(int page) {
    return refCount[page];
  }

  int pagesFor(int numTokens) {
    return (numTokens + pageSize - 1) / pageSize;
  }

  /** Pages of a sequence's prompt (+output) found in the cache, in order. */
  record PrefixHit(int[] pages, int count, int unreferenced) {
    static final PrefixHit NONE = new PrefixHit(new int[0], 0, 0);

    int tokens(int pageSize) {
      return count * pageSize;
    }
  }

  /**
   * Longest run of leading full pages of {@code s} already in the cache. At least the last token
   * is always left out, so the step that follows still computes it and yields logits.
   */
  PrefixHit lookup(Sequence s) {
    int maxPages = (s.numTokens - 1) / pageSize;
    if (maxPages == 0) return PrefixHit.NONE;
    int[] pages = new int[maxPages];
    int count = 0;
    int unreferenced = 0;
    for (int i = 0; i < maxPages; i++) {
      long h = pageHash(s, i);
      Integer page = cache.get(h);
      if (page == null || !sameTokens(page, s.tokens, i * pageSize)) break;
      pages[count++] = page;
      if (refCount[page] == 0) unreferenced++;
    }
    return count == 0 ? PrefixHit.NONE : new PrefixHit(pages, count, unreferenced);
  }

  /** Whether {@code s} (not holding pages) can be admitted with {@code hit} and computed up to {@code numTokens}. */
  boolean canAllocate(PrefixHit hit, int numTokens) {
    int fresh = pagesFor(numTokens) - hit.count();
    // Hit pages that are free leave the free list too: they cannot also serve as fresh pages.
    return fresh <= numFree - hit.unreferenced();
  }

  /** Takes the hit pages (refcount++) and fresh pages so that {@code s} covers {@code numTokens}. */
  void allocate(Sequence s, PrefixHit hit, int numTokens) {
    if (s.numPages != 0) throw new IllegalStateException(s + " already holds pages");
    for (int i = 0; i < hit.count(); i++) {
      int page = hit.pages()[i];
      if (refCount[page] == 0) {
        unlinkFree(page);
        if (hashed[page]) numCachedFree--;
      }
      refCount[page]++;
      s.blockTable[s.numPages++] = page;
    }
    s.numCachedPages = hit.count();
    grow(s, numTokens);
  }

  /** Whether {@code s} can grow by {@code numNew} tokens past its computed prefix. */
  boolean canAppend(Sequence s, int numNew) {
    return pagesFor(s.numComputed + numNew) - s.numPages <= numFree;
  }

  /** Adds pages so that {@code s} covers its next {@code numNew} tokens (a new page only when one starts). */
  void mayAppend(Sequence s, int numNew) {
    grow(s, s.numComputed + numNew);
  }

  private void grow(Sequence s, int numTokens) {
    int need = pagesFor(numTokens);
    if (need - s.numPages > numFree) {
      throw new IllegalStateException("out of KV pages for " + s + ": need " + (need - s.numPages) + ", free " + numFree);
    }
    while (s.numPages < need) s.blockTable[s.numPages++] = takeFree();
  }

  /**
   * Releases all pages of {@code s}, last page first: the tail of a sequence is the least likely to
   * be shared, so it should be the first evicted.
   */
  void deallocate(Sequence s) {
    for (int i = s.numPages - 1; i >= 0; i--) {
      int page = s.blockTable[i];
      if (refCount[page] <= 0) throw new IllegalStateException("page " + page + " freed twice");
      if (--refCount[page] == 0) {
        pushFree(page);
        if (hashed[page]) numCachedFree++;
      }
    }
    s.numPages = 0;
    s.numCachedPages = 0;
  }

  /** Enters the pages {@code s} has completely computed into the prefix cache. */
  void cacheFullPages(Sequence s) {
    int full = Math.min(s.numComputed / pageSize, s.numPages);
    for (int i = s.numCachedPages; i < full; i++) {
      int page = s.blockTable[i];
      long h = pageHash(s, i);
      if (!hashed[page] && !cache.containsKey(h)) {
        // A page with equal content may already be cached (computed twice concurrently): keep that one.
        hash[page] = h;
        hashed[page] = true;
        System.arraycopy(s.tokens, i * pageSize, pageTokens, page * pageSize, pageSize);
        cache.put(h, page);
      }
    }
    if (full > s.numCachedPages) s.numCachedPages = full;
  }

  private long pageHash(Sequence s, int page) {
    while (s.numHashed <= page) {
      int i = s.numHashed;
      long h = i == 0 ? SEED : s.pageHashes[i - 1];
      int off = i * pageSize;
      if (promptRowsMatter) {
        // how many of the page's positions are prompt rows (Batch.promptRow)
        int rows = Math.max(0, Math.min(pageSize, Batch.promptRows(s.promptLen) - off));
        h = mix(h ^ (0x5DEECE66DL * (rows + 1)));
      }
      for (int k = 0; k < pageSize; k++) h = mix(h ^ (s.tokens[off + k] & 0xFFFFFFFFL));
      s.pageHashes[i] = h;
      s.numHashed++;
    }
    return s.pageHashes[page];
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private boolean sameTokens(int page, int[] tokens, int from) {
    return Arrays.equals(pageTokens, page * pageSize, (page + 1) * pageSize, tokens, from, from + pageSize);
  }

  private int takeFree() {
    int page = head;
    if (page < 0) throw new IllegalStateException("no free KV page");
    unlinkFree(page);
    if (hashed[page]) {
      // Evict: the page's old content is about to be overwritten.
      numCachedFree--;
      hashed[page] = false;
      Integer mapped = cache.get(hash[page]);
      if (mapped != null && mapped == page) cache.remove(hash[page]);
    }
    refCount[page] = 1;
    return page;
  }

  private void pushFree(int page) {
    prev[page] = tail;
    next[page] = -1;
    if (tail >= 0) next[tail] = page;
    else head = page;
    tail = page;
    numFree++;
  }

  private void unlinkFree(int page) {
    int p = prev[page];
    int n = next[page];
    if (p >= 0) next[p] = n;
    else head = n;
    if (n >= 0) prev[n] = p;
    else tail = p;
    prev[page] = next[page] = -1;
    numFree--;
  }

  /** Consistency check for tests: counts agree, nothing referenced when {@code idle}. */
  void checkInvariants(boolean idle) {
    int free = 0;
    int cachedFree = 0;
    for (int p = head; p >= 0; p = next[p]) {
      free++;
      if (refCount[p] != 0) throw new IllegalStateException("page " + p + " in free list with refcount " + refCount[p]);
      if (hashed[p]) cachedFree++;
      if (free > numPages) throw new IllegalStateException("free list cycle");
    }
    if (free != numFree) throw new IllegalStateException("free list has " + free + " pages, counter says " + numFree);
    if (cachedFree != numCachedFree) throw new IllegalStateException("cached count " + cachedFree + " vs " + numCachedFree);
    int referenced = 0;
    for (int p = 0; p < numPages; p++) if (refCount[p] > 0) referenced++;
    if (referenced + free != numPages) throw new IllegalStateException(referenced + " referenced + " + free + " free != " + numPages);
    if (idle && referenced != 0) throw new IllegalStateException(referenced + " pages still referenced with no request alive");
  }
}
