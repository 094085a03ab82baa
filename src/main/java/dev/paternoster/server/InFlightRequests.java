package dev.paternoster.server;

import dev.paternoster.engine.RequestHandle;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The generation requests this server has taken on and not yet answered. Shutdown drains it: waits
 * for it to empty within the grace period, then aborts what is left (and a second signal aborts at
 * once).
 *
 * <p>A handler enters before it submits to the engine and leaves after its answer is written, so
 * that a request being submitted while shutdown begins is never missed: shutdown waits for its
 * answer too before it stops the HTTP server.
 */
public final class InFlightRequests {
  /** One handler's place: its engine request once submitted. */
  static final class Entry {
    private volatile RequestHandle handle;

    void submitted(RequestHandle h) {
      handle = h;
    }

    /** Aborts the request if it was submitted; whether it was. */
    boolean abort() {
      RequestHandle h = handle;
      if (h != null) h.abort();
      return h != null;
    }
  }

  private final Set<Entry> entries = ConcurrentHashMap.newKeySet();
  private final Object changed = new Object();

  Entry enter() {
    Entry e = new Entry();
    entries.add(e);
    return e;
  }

  void leave(Entry e) {
    entries.remove(e);
    synchronized (changed) {
      changed.notifyAll();
    }
  }

  public int size() {
    return entries.size();
  }

  /** Waits until every request has been answered or {@code timeout} passed; true when empty. */
  public boolean awaitEmpty(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (changed) {
      while (!entries.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        changed.wait(Math.max(1, left / 1_000_000));
      }
    }
    return true;
  }

  /**
   * Aborts every request in flight; their clients get what was generated, finish_reason "abort". A
   * handler that has not submitted yet is not counted: the engine, stopped next, refuses or aborts it.
   */
  public int abortAll() {
    int n = 0;
    for (Entry e : entries) {
      if (e.abort()) n++;
    }
    return n;
  }
}
