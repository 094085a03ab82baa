package dev.paternoster.batch;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;

/**
 * A {@link BatcherClock} whose time moves only when a test calls {@link #advance}. The dispatcher
 * still really blocks (untimed, on its condition); {@link #advance} wakes it through the
 * registered listener. Tests synchronise with the dispatcher through {@link
 * #awaitDispatcherWaitingUntil} instead of sleeping: once the dispatcher waits for a future
 * deadline, it has made every decision the current state allows.
 *
 * <p>Times in the API are offsets from the clock's creation.
 */
final class ManualClock implements BatcherClock {

  /** Only guards against a hanging test; correctness never depends on it. */
  private static final long SAFETY_TIMEOUT_MILLIS = 10_000;
  private static final long ORIGIN = 1_000_000_000L;
  private static final long NO_DEADLINE = Long.MIN_VALUE;

  private final Object monitor = new Object();
  private final List<Runnable> wakeUpListeners = new CopyOnWriteArrayList<>();
  /** Guarded by monitor. */
  private long now = ORIGIN;
  /** Threads waiting in this clock, and their deadline (or NO_DEADLINE). Guarded by monitor. */
  private final Map<Thread, Long> waiting = new HashMap<>();

  @Override
  public long nanoTime() {
    synchronized (monitor) {
      return now;
    }
  }

  /** Time since creation. */
  Duration elapsed() {
    return Duration.ofNanos(nanoTime() - ORIGIN);
  }

  @Override
  public void awaitUntil(Condition condition, long deadlineNanos) throws InterruptedException {
    synchronized (monitor) {
      if (deadlineNanos - now <= 0) {
        return;
      }
    }
    waitOn(condition, deadlineNanos);
  }

  @Override
  public void await(Condition condition) throws InterruptedException {
    waitOn(condition, NO_DEADLINE);
  }

  private void waitOn(Condition condition, long deadline) throws InterruptedException {
    Thread self = Thread.currentThread();
    synchronized (monitor) {
      waiting.put(self, deadline);
      monitor.notifyAll();
    }
    try {
      // Untimed: only a signal (a submit, a finished batch, or advance() through the listener)
      // ends this wait. The caller holds the condition's lock, so advance()'s listener cannot
      // signal before this await has released it: no wake-up is lost.
      condition.await();
    } finally {
      synchronized (monitor) {
        waiting.remove(self, deadline);
      }
    }
  }

  @Override
  public void addWakeUpListener(Runnable wakeUp) {
    wakeUpListeners.add(wakeUp);
  }

  @Override
  public void removeWakeUpListener(Runnable wakeUp) {
    wakeUpListeners.remove(wakeUp);
  }

  int wakeUpListenerCount() {
    return wakeUpListeners.size();
  }

  /** Moves time forward and wakes every dispatcher so it re-reads the time. */
  void advance(Duration by) {
    synchronized (monitor) {
      now += by.toNanos();
      // Every recorded wait started before this jump and is stale now.
      waiting.clear();
    }
    wakeUpListeners.forEach(Runnable::run);
  }

  /**
   * Blocks until some dispatcher waits for the deadline {@code at} after creation, which is still
   * in the future. Only a wait entered after the last {@link #advance} counts.
   */
  void awaitDispatcherWaitingUntil(Duration at) {
    long deadline = ORIGIN + at.toNanos();
    awaitWaiting(deadline, "waiting until " + at);
  }

  /** Blocks until some dispatcher waits with no deadline (empty queue, or no free batch slot). */
  void awaitDispatcherWaitingForSignal() {
    awaitWaiting(NO_DEADLINE, "waiting for a signal");
  }

  private void awaitWaiting(long deadline, String what) {
    long giveUpAt = System.currentTimeMillis() + SAFETY_TIMEOUT_MILLIS;
    synchronized (monitor) {
      while (!waiting.containsValue(deadline)) {
        long left = giveUpAt - System.currentTimeMillis();
        if (left <= 0) {
          throw new AssertionError(
              "dispatcher not " + what + " after " + SAFETY_TIMEOUT_MILLIS + " ms; at "
                  + elapsed() + " waits are " + describeWaits());
        }
        try {
          monitor.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted", e);
        }
      }
    }
  }

  private String describeWaits() {
    StringBuilder text = new StringBuilder("[");
    waiting.forEach((thread, deadline) -> text.append(thread.getName()).append(" -> ")
        .append(deadline == NO_DEADLINE ? "signal" : Duration.ofNanos(deadline - ORIGIN))
        .append("; "));
    return text.append(']').toString();
  }
}
