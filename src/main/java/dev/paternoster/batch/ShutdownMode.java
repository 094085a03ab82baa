package dev.paternoster.batch;

/** What {@link DynamicBatcher#close(ShutdownMode)} does with requests still in the queue. */
public enum ShutdownMode {
  /**
   * Dispatch every queued request right away (without waiting for {@code maxWait}, since no
   * further request can join the batch) and wait until all batches have finished.
   */
  DRAIN,
  /**
   * Fail every queued request with {@link BatcherClosedException}. Batches already handed to the
   * batch function still finish normally; close waits for them.
   */
  FAIL_PENDING
}
