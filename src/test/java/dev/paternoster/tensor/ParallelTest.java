package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ParallelTest {

  @Test
  void coversEveryIndexExactlyOnceInPiecesOnTheGrain() {
    try (Parallel p = new Parallel(3)) {
      for (int grain : new int[] {1, 8}) {
        for (int n : new int[] {1, 2, 3, 4, 7, 100, 1001}) {
          AtomicIntegerArray hits = new AtomicIntegerArray(n);
          AtomicInteger pieces = new AtomicInteger();
          p.forRange(n, grain, (s, e) -> {
            assertThat(s).isLessThan(e);
            assertThat(s % grain).as("piece start %d, grain %d", s, grain).isZero();
            assertThat(e == n || e % grain == 0).as("piece end %d of %d, grain %d", e, n, grain).isTrue();
            pieces.incrementAndGet();
            for (int i = s; i < e; i++) hits.incrementAndGet(i);
          });
          for (int i = 0; i < n; i++) assertThat(hits.get(i)).as("n=%d i=%d", n, i).isEqualTo(1);
          // halving: about log2(units per region) + 1 pieces per region
          int units = (n + grain - 1) / grain;
          int perRegion = 33 - Integer.numberOfLeadingZeros(Math.max(1, (units + 2) / 3));
          assertThat(pieces.get()).as("n=%d grain=%d", n, grain).isLessThanOrEqualTo(3 * perRegion);
        }
      }
    }
  }

  /**
   * A thread that stalls in its first piece holds up the call by that piece only: the others take
   * the rest of its region. Piece by piece, each region is still handed out front to back.
   */
  @Test
  void aStalledThreadsRegionIsTakenByTheOthers() {
    try (Parallel p = new Parallel(2)) {
      int n = 64;
      int[] owner = new int[n];
      java.util.List<int[]> pieces = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
      Thread caller = Thread.currentThread();
      p.forRange(n, (s, e) -> {
        boolean isCaller = Thread.currentThread() == caller;
        pieces.add(new int[] {s, e});
        if (!isCaller && s == n / 2) {
          try {
            Thread.sleep(300); // the worker's first piece, [32, 48), stalls
          } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
          }
        }
        for (int i = s; i < e; i++) owner[i] = isCaller ? 1 : 2;
      });
      // the caller started at 0; the worker's first piece was the first half of its region
      assertThat(owner[0]).isEqualTo(1);
      boolean workerStalled = owner[n / 2] == 2;
      if (workerStalled) {
        // everything after the stalled piece went to the caller
        for (int i = 3 * n / 4; i < n; i++) assertThat(owner[i]).as("index %d", i).isEqualTo(1);
      }
      java.util.Set<Integer> starts = new java.util.TreeSet<>();
      for (int[] pc : pieces) starts.add(pc[0]);
      assertThat(starts).contains(0, 16, n / 2, 3 * n / 4);
    }
  }

  @Test
  void manyQuickCallsInARow() {
    try (Parallel p = new Parallel(2)) {
      long[] sums = new long[2];
      for (int k = 0; k < 20_000; k++) {
        p.forRange(2, (s, e) -> {
          for (int i = s; i < e; i++) sums[i]++;
        });
      }
      assertThat(sums).containsExactly(20_000, 20_000);
    }
  }

  /**
   * Calls of alternating sizes in quick succession: a worker still looking at one call's claim
   * when the next call is published must neither run a chunk twice nor leave the caller waiting
   * for a chunk nobody runs (a pool that claimed chunks from one counter and read the chunk count
   * from a separate field hung here within seconds).
   */
  @Test
  void quickCallsOfChangingSizesRunEachIndexOnce() {
    try (Parallel p = new Parallel(3)) {
      // in a thread of its own: a lost chunk leaves the caller waiting forever, and the test must fail, not hang
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(40), () -> {
        int[] sizes = {2, 100, 3, 37, 1, 5, 64};
        for (int k = 0; k < 300_000; k++) {
          int n = sizes[k % sizes.length];
          int[] hits = new int[n];
          p.forRange(n, (s, e) -> {
            for (int i = s; i < e; i++) hits[i]++;
          });
          for (int i = 0; i < n; i++) {
            if (hits[i] != 1) assertThat(hits[i]).as("call %d of n=%d, index %d", k, n, i).isEqualTo(1);
          }
        }
      });
    }
  }

  @Test
  void survivesWorkersParkingBetweenCalls() throws InterruptedException {
    try (Parallel p = new Parallel(2)) {
      for (int k = 0; k < 3; k++) {
        Thread.sleep(5); // longer than the spin window: workers park
        AtomicInteger count = new AtomicInteger();
        p.forRange(10, (s, e) -> count.addAndGet(e - s));
        assertThat(count.get()).isEqualTo(10);
      }
    }
  }

  @Test
  void workerExceptionReachesTheCaller() {
    try (Parallel p = new Parallel(2)) {
      Thread caller = Thread.currentThread();
      assertThatThrownBy(() -> p.forRange(10, (s, e) -> {
        if (Thread.currentThread() != caller) throw new IllegalStateException("boom in " + Thread.currentThread().getName());
        try {
          Thread.sleep(50); // the caller's pieces are slow, so the worker surely takes one
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
        }
      })).isInstanceOf(IllegalStateException.class).hasMessageContaining("boom in paternoster-parallel-1");
      AtomicInteger count = new AtomicInteger(); // still usable afterwards
      p.forRange(10, (s, e) -> count.addAndGet(e - s));
      assertThat(count.get()).isEqualTo(10);
    }
  }

  @Test
  void callerExceptionWaitsForWorkersThenPropagates() {
    try (Parallel p = new Parallel(2)) {
      AtomicInteger workerDone = new AtomicInteger();
      assertThatThrownBy(() -> p.forRange(2, (s, e) -> {
        if (s == 0) throw new ArithmeticException("caller chunk");
        workerDone.incrementAndGet();
      })).isInstanceOf(ArithmeticException.class);
      assertThat(workerDone.get()).isEqualTo(1);
    }
  }

  @Test
  void nestedCallRunsInline() {
    try (Parallel p = new Parallel(2)) {
      AtomicInteger inner = new AtomicInteger();
      p.forRange(2, (s, e) -> p.forRange(5, (s2, e2) -> inner.addAndGet(e2 - s2)));
      assertThat(inner.get()).isEqualTo(10);
    }
  }

  @Test
  void sharedPoolIsSizedAndNotClosable() {
    Parallel shared = Parallel.shared();
    assertThat(shared.threads()).isGreaterThanOrEqualTo(1);
    shared.close();
    AtomicInteger count = new AtomicInteger();
    shared.forRange(4, (s, e) -> count.addAndGet(e - s));
    assertThat(count.get()).isEqualTo(4);
    assertThat(Parallel.shared()).isSameAs(shared);
  }

  @Test
  void closedPoolRefusesWork() {
    Parallel p = new Parallel(2);
    p.close();
    assertThatThrownBy(() -> p.forRange(3, (s, e) -> {})).isInstanceOf(IllegalStateException.class);
  }
}
