package dev.paternoster.server;

import dev.paternoster.engine.TokenEvent;
import dev.paternoster.engine.TokenListener;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Hands a stream's token events from the engine thread to the one handler thread that writes them.
 *
 * <p>The engine side is one lock-free enqueue and, only while the handler waits, an unpark: the
 * engine thread never takes a lock that an HTTP thread may hold. (A {@code LinkedBlockingQueue}
 * wakes its reader under the lock the reader holds while it drains; a reader whose carrier thread
 * is descheduled at that moment would hold up the engine thread, and every sequence with it.)
 */
final class TokenMailbox implements TokenListener {
  private final ConcurrentLinkedQueue<TokenEvent> queue = new ConcurrentLinkedQueue<>();
  private final Thread reader;
  private volatile boolean waiting;

  /** @param reader the only thread that calls {@link #take} */
  TokenMailbox(Thread reader) {
    this.reader = reader;
  }

  /** Engine thread: never blocks. */
  @Override
  public void onToken(TokenEvent event) {
    queue.offer(event);
    // The reader sets waiting before it looks at the queue a last time: either it sees this
    // event, or this sees it waiting (both are volatile accesses).
    if (waiting) LockSupport.unpark(reader);
  }

  /**
   * Moves every queued event to {@code out}, waiting up to {@code timeoutNanos} for the first.
   * Adds nothing when the time ran out.
   */
  void take(List<TokenEvent> out, long timeoutNanos) throws InterruptedException {
    if (drainTo(out)) return;
    long deadline = System.nanoTime() + timeoutNanos;
    waiting = true;
    try {
      while (queue.isEmpty()) {
        if (Thread.interrupted()) throw new InterruptedException();
        long left = deadline - System.nanoTime();
        if (left <= 0) return;
        LockSupport.parkNanos(this, left);
      }
    } finally {
      waiting = false;
    }
    drainTo(out);
  }

  private boolean drainTo(List<TokenEvent> out) {
    boolean any = false;
    TokenEvent e;
    while ((e = queue.poll()) != null) {
      out.add(e);
      any = true;
    }
    return any;
  }
}
