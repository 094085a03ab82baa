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
  public void awaitNanos(Condition condition, long nanos) throws InterruptedException {
    condition.awaitNanos(nanos);
  }

  @Override
  public void await(Condition condition) throws InterruptedException {
    condition.await();
  }
}
