package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.engine.TokenEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** The engine-to-handler hand-off loses no event and no wake-up, in order, with producer and reader racing. */
class TokenMailboxTest {
  @Test
  void everyEventArrivesInOrderAndNoWakeUpIsLost() throws Exception {
    for (boolean virtual : new boolean[] {true, false}) {
      int n = 20_000;
      List<Integer> got = new ArrayList<>();
      Thread.Builder builder = virtual ? Thread.ofVirtual() : Thread.ofPlatform();
      Throwable[] failure = new Throwable[1];
      Thread reader = builder.unstarted(() -> {
        try {
          List<TokenEvent> batch = new ArrayList<>();
          while (got.size() < n) {
            batch.clear();
            MAILBOX.get().take(batch, TimeUnit.SECONDS.toNanos(30)); // a lost wake-up would wait this long
            assertThat(batch).as("a wake-up was lost (%d of %d received)", got.size(), n).isNotEmpty();
            for (TokenEvent e : batch) got.add(e.tokenId());
          }
        } catch (Throwable t) {
          failure[0] = t;
        }
      });
      TokenMailbox mailbox = new TokenMailbox(reader);
      MAILBOX.set(mailbox);
      reader.start();
      for (int i = 0; i < n; i++) {
        mailbox.onToken(new TokenEvent(0, i, "", Float.NaN, null, null, null));
        if (i % 64 == 0) LockSupport.parkNanos(20_000); // let the reader catch up and wait again
      }
      reader.join();
      assertThat(failure[0]).isNull();
      assertThat(got).hasSize(n);
      for (int i = 0; i < n; i++) assertThat(got.get(i)).isEqualTo(i);
    }
  }

  @Test
  void takeReturnsEmptyWhenTheTimeRunsOut() throws Exception {
    TokenMailbox mailbox = new TokenMailbox(Thread.currentThread());
    List<TokenEvent> out = new ArrayList<>();
    mailbox.take(out, TimeUnit.MILLISECONDS.toNanos(5));
    assertThat(out).isEmpty();
    mailbox.onToken(new TokenEvent(0, 1, "x", Float.NaN, null, null, null));
    mailbox.take(out, TimeUnit.SECONDS.toNanos(5));
    assertThat(out).hasSize(1);
  }

  private static final java.util.concurrent.atomic.AtomicReference<TokenMailbox> MAILBOX = new java.util.concurrent.atomic.AtomicReference<>();
}
