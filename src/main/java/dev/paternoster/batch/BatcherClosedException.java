package dev.paternoster.batch;

/**
 * The batcher was closed: either the request was submitted after {@code close()}, or it was still
 * queued when the batcher was closed with {@link ShutdownMode#FAIL_PENDING}.
 */
public final class BatcherClosedException extends BatcherException {

  public BatcherClosedException(String batcherName, String message) {
    super(batcherName, message);
  }

  static BatcherClosedException submittedAfterClose(String batcherName) {
    return new BatcherClosedException(
        batcherName, "batcher '" + batcherName + "' is closed and accepts no more requests");
  }

  static BatcherClosedException closedBeforeDispatch(String batcherName) {
    return new BatcherClosedException(
        batcherName,
        "batcher '" + batcherName
            + "' was closed (FAIL_PENDING) before this request was dispatched");
  }
}
