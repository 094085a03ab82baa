package dev.paternoster.batch;

import java.util.concurrent.locks.Condition;

/**
 * Time as the dispatcher sees it: a monotonic nanosecond reading, and the two ways the dispatcher
 * blocks. Injectable so tests can drive time by hand ({@code ManualClock} in the tests) and still
 * have a dispatcher that really blocks rather than polls.
 *
 * <p>Both wait methods are called with the lock that owns {@code condition} held, exactly like
 * {@link Condition#await()}; they may return early (spuriously), because the dispatcher re-reads
 * the time and its queue after every wake-up.
 */
public interface BatcherClock {

  /** Monotonic time in nanoseconds with an arbitrary origin, like {@link System#nanoTime()}. */
  long nanoTime();

  /**
   * Waits until signalled or until this clock reaches {@code deadlineNanos}. Deadlines compare
   * overflow-safe, as {@code deadlineNanos - nanoTime() > 0} means "not yet", like nanoTime values.
   */
  void awaitUntil(Condition condition, long deadlineNanos) throws InterruptedException;

  /** Waits until signalled; used when there is no deadline (empty queue, all batch slots busy). */
  void await(Condition condition) throws InterruptedException;

  /**
   * Registers a callback that wakes the dispatcher. A clock whose time can jump (a test clock)
   * must run it after every jump, since a dispatcher waiting in {@link #awaitUntil} is otherwise
   * only woken by real time. The system clock never jumps and ignores it.
   */
  default void addWakeUpListener(Runnable wakeUp) {}

  /** Removes a callback added with {@link #addWakeUpListener}; called when a batcher closes. */
  default void removeWakeUpListener(Runnable wakeUp) {}

  /** The real clock: {@link System#nanoTime()} and {@link Condition#awaitNanos}. */
  static BatcherClock system() {
    return SystemBatcherClock.INSTANCE;
  }
}
