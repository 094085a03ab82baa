package dev.paternoster.batch;

/**
 * A request was refused because {@code maxQueueSize} requests were already waiting. The caller
 * should shed load (the HTTP layer answers 429 Too Many Requests) rather than retry at once.
 */
public final class QueueFullException extends BatcherException {

  private final int maxQueueSize;

  public QueueFullException(String batcherName, int maxQueueSize) {
    super(
        batcherName,
        "batcher '" + batcherName + "' is full: " + maxQueueSize
            + " requests are already waiting (maxQueueSize=" + maxQueueSize + ")");
    this.maxQueueSize = maxQueueSize;
  }

  /** The configured queue bound that was reached. */
  public int maxQueueSize() {
    return maxQueueSize;
  }
}
