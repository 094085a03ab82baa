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
  void coversEveryIndexExactlyOnceWithContiguousChunks() {
    try (Parallel p = new Parallel(3)) {
      for (int n : new int[] {1, 2, 3, 4, 7, 100, 1001}) {
        AtomicIntegerArray hits = new AtomicIntegerArray(n);
        AtomicInteger chunks = new AtomicInteger();
        p.forRange(n, (s, e) -> {
          assertThat(s).isLessThan(e);
          chunks.incrementAndGet();
          for (int i = s; i < e; i++) hits.incrementAndGet(i);
        });
        for (int i = 0; i < n; i++) assertThat(hits.get(i)).as("n=%d i=%d", n, i).isEqualTo(1);
        assertThat(chunks.get()).isLessThanOrEqualTo(3);
      }
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
      assertThatThrownBy(() -> p.forRange(10, (s, e) -> {
        if (s > 0) throw new IllegalStateException("boom in " + s);
      })).isInstanceOf(IllegalStateException.class).hasMessageContaining("boom in 5");
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
