package dev.paternoster.cli;

import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT handling for {@code serve}: the first signal starts a graceful shutdown, a
 * second one aborts what is still running. Replacing the JVM's default handlers (which would run
 * shutdown hooks and exit with 143) is what lets the server drain and then exit 0.
 */
final class ShutdownSignals {
  private ShutdownSignals() {}

  static void install(Runnable first, Runnable second) {
    AtomicInteger count = new AtomicInteger();
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), sig -> {
          // Signal handlers run on a JVM thread that must not block: hand the work to a new thread.
          Runnable action = count.incrementAndGet() == 1 ? first : second;
          Thread.ofPlatform().name("paternoster-signal-" + sig.getName()).start(action);
        });
      } catch (IllegalArgumentException e) {
        System.err.println("paternoster: cannot handle SIG" + name + " here: " + e.getMessage());
      }
    }
  }
}
