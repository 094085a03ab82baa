package dev.paternoster.batch;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A batch function for tests: applies {@code perItem} to each input, records every call, tracks
 * how many calls run at once, and can hold calls at a gate until the test opens it.
 */
final class RecordingFunction<I, O> implements BatchFunction<I, O> {

  private static final long SAFETY_TIMEOUT_SECONDS = 10;

  private final Function<I, O> perItem;
  private final BlockingQueue<List<I>> unclaimedCalls = new LinkedBlockingQueue<>();
  private final List<List<I>> calls = new CopyOnWriteArrayList<>();
  private final Semaphore entered = new Semaphore(0);
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger maxRunning = new AtomicInteger();
  private volatile CountDownLatch gate;

  RecordingFunction(Function<I, O> perItem) {
    this.perItem = perItem;
  }

  static RecordingFunction<String, String> upperCase() {
    return new RecordingFunction<>(String::toUpperCase);
  }

  @Override
  public List<O> apply(List<I> inputs) throws Exception {
    calls.add(inputs);
    unclaimedCalls.add(inputs);
    maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
    try {
      entered.release();
      CountDownLatch currentGate = gate;
      if (currentGate != null && !currentGate.await(SAFETY_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError("gate never opened");
      }
      return inputs.stream().map(perItem).toList();
    } finally {
      running.decrementAndGet();
    }
  }

  /** From now on, calls block until {@link #openGate()}. */
  void closeGate() {
    gate = new CountDownLatch(1);
  }

  void openGate() {
    CountDownLatch currentGate = gate;
    gate = null;
    if (currentGate != null) currentGate.countDown();
  }

  /** Blocks until {@code count} more calls have started. */
  void awaitCallsStarted(int count) throws InterruptedException {
    if (!entered.tryAcquire(count, SAFETY_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      throw new AssertionError("expected " + count + " more calls of the batch function");
    }
  }

  /** The next call not yet returned by this method, waiting for it if needed. */
  List<I> nextCall() throws InterruptedException {
    List<I> call = unclaimedCalls.poll(SAFETY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (call == null) throw new AssertionError("expected another call of the batch function");
    return call;
  }

  List<List<I>> calls() {
    return List.copyOf(calls);
  }

  int maxConcurrentCalls() {
    return maxRunning.get();
  }
}
