package dev.paternoster.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of persistent worker threads for data-parallel loops.
 *
 * <p>{@link #forRange} splits {@code [0, n)} into one contiguous region per thread; the calling
 * thread takes region 0. A call neither creates threads nor allocates: the task is published
 * through a generation counter that idle workers spin on for a short while (a forward pass calls
 * this hundreds of times in quick succession, and waking a parked thread costs tens of
 * microseconds) before parking.
 *
 * <p>A thread runs its region in pieces taken from the front, each half of what is left (so the
 * first is half the region, and a region is still read front to back), then takes pieces of the
 * other regions the same way. A thread that is slow (descheduled on a busy machine, or slow to
 * wake up) then holds up the call by one small piece, not by the rest of its share: with one
 * contiguous chunk per thread, threads of a one-sequence decode waited for each other about 8 %
 * of the time.
 *
 * <p>A worker takes part in a call only after claiming it (compare-and-set on its claim counter).
 * When no piece is left, the caller claims the workers that have not started, so a worker that
 * is parked or descheduled costs nothing.
 *
 * <p>One call at a time: a call made while another is running (from another thread, or nested
 * from inside a task) runs its whole range on the calling thread instead of waiting.
 */
public final class Parallel implements AutoCloseable {
  /** A task over the index range {@code [start, end)}. */
  @FunctionalInterface
  public interface RangeTask {
    void run(int start, int end);
  }

  /** How long an idle worker or a waiting caller spins before parking, in nanoseconds. */
  private static final long SPIN_NANOS = Long.getLong("paternoster.spinNanos", 50_000L);

  private final int threads;
  private final Worker[] workers;
  private final boolean closeable;
  private final AtomicBoolean busy = new AtomicBoolean();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile int generation;
  private volatile boolean closed;
  private volatile Thread waiter;
  /** Ints between two regions' counters in {@link #next}: a 64-byte cache line each. */
  private static final int PAD = 16;
  /** Per region: the next unit (of {@code grain} indices) to hand out, at index {@code r * PAD}. */
  private final AtomicIntegerArray next;
  /** Per region: its end, in units. */
  private final int[] regionEnd;
  // Published by the generation write, read by workers after they see it.
  private RangeTask task;
  private int n, grain;

  /** A pool of {@code threads} threads in all (the caller counts as one). */
  public Parallel(int threads) {
    this(threads, true);
  }

  private Parallel(int threads, boolean closeable) {
    if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    this.threads = threads;
    this.closeable = closeable;
    this.workers = new Worker[threads - 1];
    this.next = new AtomicIntegerArray(threads * PAD);
    this.regionEnd = new int[threads];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Worker(i + 1);
      workers[i].thread.start();
    }
  }

  /** A pool with one thread per available processor. */
  public Parallel() {
    this(Runtime.getRuntime().availableProcessors());
  }

  private static final class Shared {
    static final Parallel POOL = new Parallel(
        Integer.getInteger("paternoster.threads", Runtime.getRuntime().availableProcessors()), false);
  }

  /** The process-wide pool, sized by {@code -Dpaternoster.threads} (default: available processors). */
  public static Parallel shared() {
    return Shared.POOL;
  }

  public int threads() {
    return threads;
  }

  /**
   * Runs {@code task} over {@code [0, n)} in contiguous pieces (see the class comment) and returns
   * when all are done. An exception thrown by any piece is rethrown here (after all pieces
   * finished); if several fail, the others are added as suppressed.
   */
  public void forRange(int n, RangeTask task) {
    forRange(n, 1, task);
  }

  /**
   * As {@link #forRange(int, RangeTask)}, with every piece starting on a multiple of {@code grain}
   * (the kernels' row groups: a piece that cut a group would run its rows the slow way).
   */
  public void forRange(int n, int grain, RangeTask task) {
    if (n <= 0) return;
    if (grain < 1) throw new IllegalArgumentException("grain must be >= 1, got " + grain);
    if (closed) throw new IllegalStateException("Parallel pool is closed");
    if (threads == 1 || n == 1 || !busy.compareAndSet(false, true)) {
      task.run(0, n);
      return;
    }
    try {
      this.task = task;
      this.n = n;
      this.grain = grain;
      int units = (n + grain - 1) / grain;
      for (int r = 0; r < threads; r++) {
        next.set(r * PAD, (int) ((long) units * r / threads));
        regionEnd[r] = (int) ((long) units * (r + 1) / threads);
      }
      failure.set(null);
      pending.set(workers.length);
      generation = generation + 1; // publishes task, n, grain and the regions
      for (Worker w : workers) {
        if (w.parked) LockSupport.unpark(w.thread);
      }
      int gen = generation;
      runPieces(0);
      for (Worker w : workers) {
        if (w.claim.compareAndSet(gen - 1, gen)) finished(); // not started, and nothing is left for it
      }
      awaitWorkers();
      this.task = null;
      Throwable t = failure.getAndSet(null);
      if (t != null) {
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        throw new RuntimeException(t);
      }
    } finally {
      busy.set(false);
    }
  }

  /** Runs pieces of region {@code own}, then of the others, until no piece is left. */
  private void runPieces(int own) {
    RangeTask task = this.task;
    int n = this.n, grain = this.grain;
    for (int k = 0; k < threads; k++) {
      int r = (own + k) % threads, end = regionEnd[r];
      while (true) {
        int cur = next.get(r * PAD);
        if (cur >= end) break;
        int size = (end - cur + 1) / 2;
        if (!next.compareAndSet(r * PAD, cur, cur + size)) continue;
        try {
          task.run(cur * grain, Math.min(n, (cur + size) * grain));
        } catch (Throwable t) {
          recordFailure(t);
        }
      }
    }
  }

  private void recordFailure(Throwable t) {
    if (!failure.compareAndSet(null, t)) {
      Throwable first = failure.get();
      if (first != null && first != t) first.addSuppressed(t);
    }
  }

  private void awaitWorkers() {
    long deadline = System.nanoTime() + SPIN_NANOS;
    while (pending.get() != 0) {
      if (System.nanoTime() < deadline) {
        Thread.onSpinWait();
      } else {
        waiter = Thread.currentThread();
        if (pending.get() != 0) LockSupport.parkNanos(this, 1_000_000L);
        waiter = null;
      }
    }
  }

  private void finished() {
    if (pending.decrementAndGet() == 0) {
      Thread w = waiter;
      if (w != null) LockSupport.unpark(w);
    }
  }

  /** Stops the workers (no-op for {@link #shared()}). */
  @Override
  public void close() {
    if (!closeable || closed) return;
    closed = true;
    generation = generation + 1;
    for (Worker w : workers) LockSupport.unpark(w.thread);
  }

  private final class Worker implements Runnable {
    final int index;
    final Thread thread;
    volatile boolean parked;
    /** The last generation whose chunk {@code index} was claimed, by this worker or by the caller. */
    final AtomicInteger claim = new AtomicInteger();

    Worker(int index) {
      this.index = index;
      this.thread = Thread.ofPlatform().daemon().name("paternoster-parallel-" + index).unstarted(this);
    }

    @Override
    public void run() {
      // Not "generation" read now: the first call may already have been published before this
      // thread got to run, and must not be missed.
      int seen = 0;
      while (true) {
        seen = awaitGeneration(seen);
        if (closed) return;
        // The caller may have taken this chunk already (and even published the next generation,
        // in which case the claim fails here and succeeds on the next turn of the loop).
        if (claim.compareAndSet(seen - 1, seen)) {
          runPieces(index);
          finished();
        }
      }
    }

    private int awaitGeneration(int seen) {
      long deadline = System.nanoTime() + SPIN_NANOS;
      int g;
      while ((g = generation) == seen) {
        if (System.nanoTime() < deadline) {
          Thread.onSpinWait();
        } else {
          parked = true;
          if (generation == seen) LockSupport.park(this);
          parked = false;
        }
      }
      return g;
    }
  }
}
