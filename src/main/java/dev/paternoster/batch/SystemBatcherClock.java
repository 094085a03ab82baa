package dev.paternoster.batch;

import java.util.concurrent.locks.Condition;

/** {@link BatcherClock} on {@link System#nanoTime()}; a singleton since it has no state. */
enum SystemBatcherClock implements BatcherClock {
  INSTANCE;

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public void awaitUntil(Condition condition, long deadlineNanos) throws InterruptedException {
    long remaining = deadlineNanos - System.nanoTime();
    if (remaining > 0) {
      condition.awaitNanos(remaining);
    }
  }

  @Override
  public void await(Condition condition) throws InterruptedException {
    condition.await();
  }
}
