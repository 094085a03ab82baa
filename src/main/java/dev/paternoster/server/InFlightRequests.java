package dev.paternoster.server;

import dev.paternoster.engine.RequestHandle;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The requests this server has submitted and not yet answered. Shutdown drains it: waits for it to
 * empty within the grace period, then aborts what is left (and a second signal aborts at once).
 */
public final class InFlightRequests {
  private final Set<RequestHandle> handles = ConcurrentHashMap.newKeySet();
  private final Object changed = new Object();

  void add(RequestHandle h) {
    handles.add(h);
  }

  void remove(RequestHandle h) {
    handles.remove(h);
    synchronized (changed) {
      changed.notifyAll();
    }
  }

  public int size() {
    return handles.size();
  }

  /** Waits until every request has been answered or {@code timeout} passed; true when empty. */
  public boolean awaitEmpty(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (changed) {
      while (!handles.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        changed.wait(Math.max(1, left / 1_000_000));
      }
    }
    return true;
  }

  /** Aborts every request still in flight; their clients get what was generated, finish_reason "abort". */
  public int abortAll() {
    int n = 0;
    for (RequestHandle h : handles) {
      h.abort();
      n++;
    }
    return n;
  }
}
