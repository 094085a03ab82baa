package dev.paternoster.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paternoster.engine.EngineObserver;
import dev.paternoster.engine.EngineSnapshot;
import dev.paternoster.engine.GenerationResult;
import dev.paternoster.engine.StepEntry;
import dev.paternoster.engine.StepStats;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the live view of the batch ({@code GET /v1/engine/steps}, server-sent events).
 *
 * <p>The engine thread must never wait for a browser: {@link #onStep} only appends the (immutable)
 * {@link StepStats} to a bounded buffer. A ticker thread aggregates what arrived about ten times a
 * second into one update (the steps themselves, at most {@link #MAX_STEPS_PER_UPDATE} of them, plus
 * gauges and throughput) and offers it to every client's own small queue; a client whose queue is
 * full (slow network, background tab) simply misses updates. Each client's virtual thread writes its
 * queue to the socket.
 */
public final class LiveView implements EngineObserver, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LiveView.class);
  static final long TICK_MILLIS = 100;
  static final int MAX_STEPS_PER_UPDATE = 48;
  private static final int MAX_BUFFERED_STEPS = 4096;
  private static final int CLIENT_QUEUE = 16;
  private static final long KEEPALIVE_MILLIS = 15_000;
  private static final byte[] CLOSE = new byte[0];

  private final Supplier<EngineSnapshot> snapshot;
  private final ConcurrentLinkedQueue<StepStats> pending = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pendingCount = new AtomicInteger();
  private final ConcurrentLinkedQueue<String> finished = new ConcurrentLinkedQueue<>();
  private final Set<Client> clients = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService ticker;
  private volatile boolean closed;
  private long lastTickNanos = System.nanoTime();
  private int idleTicks;

  private record Client(ArrayBlockingQueue<byte[]> queue, AtomicInteger dropped) {}

  public LiveView(Supplier<EngineSnapshot> snapshot) {
    this.snapshot = snapshot;
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("paternoster-live-view").unstarted(r));
    ticker.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void onStep(StepStats stats) {
    if (clients.isEmpty()) return; // nobody watching: keep nothing
    pending.add(stats);
    if (pendingCount.incrementAndGet() > MAX_BUFFERED_STEPS) { // ticker stalled: forget the oldest
      if (pending.poll() != null) pendingCount.decrementAndGet();
    }
  }

  @Override
  public void onRequestFinished(GenerationResult result) {
    if (!clients.isEmpty()) finished.add(result.requestId());
  }

  int clientCount() {
    return clients.size();
  }

  /** Builds and distributes one update; runs on the ticker thread. */
  void tick() {
    try {
      long now = System.nanoTime();
      double seconds = Math.max(1e-3, (now - lastTickNanos) / 1e9);
      lastTickNanos = now;
      List<StepStats> steps = new ArrayList<>();
      for (StepStats s; (s = pending.poll()) != null; ) {
        pendingCount.decrementAndGet();
        steps.add(s);
      }
      List<String> done = new ArrayList<>();
      for (String id; (id = finished.poll()) != null; ) done.add(id);
      if (clients.isEmpty()) return;
      // Quiet engine: one update a second is enough to keep gauges fresh.
      if (steps.isEmpty() && done.isEmpty() && ++idleTicks < 1000 / TICK_MILLIS) return;
      idleTicks = 0;
      byte[] update = Json.bytes(update(steps, done, seconds));
      for (Client c : clients) {
        if (!c.queue.offer(update)) c.dropped.incrementAndGet();
      }
    } catch (RuntimeException e) {
      LOG.warn("live view update failed", e);
    }
  }

  ObjectNode update(List<StepStats> steps, List<String> done, double seconds) {
    ObjectNode u = Json.MAPPER.createObjectNode();
    u.put("time_ms", System.currentTimeMillis());
    long prefill = 0;
    long decode = 0;
    for (StepStats s : steps) {
      prefill += s.prefillTokens();
      decode += s.decodeTokens();
    }
    u.put("prefill_tokens_per_s", prefill / seconds);
    u.put("decode_tokens_per_s", decode / seconds);
    u.put("steps_in_window", steps.size());
    int skip = Math.max(0, steps.size() - MAX_STEPS_PER_UPDATE);
    u.put("steps_dropped", skip);
    ArrayNode arr = u.putArray("steps");
    for (StepStats s : steps.subList(skip, steps.size())) arr.add(step(s));
    ArrayNode fin = u.putArray("finished");
    done.forEach(fin::add);
    EngineSnapshot snap = snapshot.get();
    ObjectNode e = u.putObject("engine");
    e.put("running", snap.running());
    e.put("waiting", snap.waiting());
    e.put("kv_pages_total", snap.kvPagesTotal());
    e.put("kv_pages_used", snap.kvPagesUsed());
    e.put("kv_pages_cached", snap.kvPagesCached());
    e.put("kv_pages_free", snap.kvPagesFree());
    e.put("page_size", snap.pageSize());
    e.put("steps", snap.steps());
    e.put("preemptions_total", snap.preemptionsTotal());
    e.put("prefix_cache_hit_rate", snap.prefixCacheHitRate());
    e.put("generation_tokens_total", snap.generationTokensTotal());
    e.put("requests_finished_total", snap.requestsFinishedTotal());
    return u;
  }

  private static ObjectNode step(StepStats s) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("step", s.step());
    o.put("ms", s.wallNanos() / 1e6);
    o.put("prefill", s.prefillTokens());
    o.put("decode", s.decodeTokens());
    o.put("waiting", s.waiting());
    o.put("running", s.running());
    o.put("used", s.kvPagesUsed());
    o.put("cached", s.kvPagesCached());
    o.put("free", s.kvPagesFree());
    o.put("preempted", s.preemptionsInStep());
    ArrayNode batch = o.putArray("batch");
    for (StepEntry en : s.entries()) {
      ObjectNode b = batch.addObject();
      b.put("id", en.choiceIndex() == 0 ? en.requestId() : en.requestId() + "#" + en.choiceIndex());
      b.put("kind", en.kind() == StepEntry.Kind.PREFILL ? "prefill" : "decode");
      b.put("tokens", en.tokens());
      b.put("computed", en.computedTokens());
      b.put("prompt", en.promptTokens());
    }
    return o;
  }

  /** The SSE endpoint: runs on the request's virtual thread until the client leaves or the server stops. */
  void stream(Context ctx) {
    Client c = new Client(new ArrayBlockingQueue<>(CLIENT_QUEUE), new AtomicInteger());
    if (closed) throw ApiException.unavailable("The server is shutting down.");
    clients.add(c);
    try {
      SseWriter sse = SseWriter.open(ctx.res());
      sse.event("update", update(List.of(), List.of(), 1)); // the current state at once
      sse.flush();
      while (!closed) {
        byte[] next = c.queue.poll(KEEPALIVE_MILLIS, TimeUnit.MILLISECONDS);
        if (next == CLOSE || closed) break;
        if (next == null) {
          sse.comment("keep-alive"); // also how a vanished client is noticed when nothing happens
          continue;
        }
        sse.event("update", next);
        sse.flush();
      }
    } catch (IOException e) {
      LOG.debug("live view client left: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      clients.remove(c);
    }
  }

  /** Stops the ticker and ends every client's stream. */
  @Override
  public void close() {
    closed = true;
    ticker.shutdownNow();
    for (Client c : clients) {
      c.queue.clear();
      c.queue.offer(CLOSE);
    }
  }
}
