package dev.paternoster.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paternoster.engine.EngineConfig;
import dev.paternoster.engine.EngineObserver;
import dev.paternoster.engine.EngineSnapshot;
import dev.paternoster.engine.FinishReason;
import dev.paternoster.engine.GenerationResult;
import dev.paternoster.server.Json;
import dev.paternoster.server.ServerOptions;
import java.lang.management.ManagementFactory;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A bounded load run against a real server (stories260K on 127.0.0.1) that mixes everything that
 * goes wrong in production at once, then checks that nothing was lost and nothing leaked.
 *
 * <p>Load: {@value #CLIENTS} concurrent clients for {@code -Dpaternoster.soak.seconds} (default
 * {@value #DEFAULT_SECONDS} s), each sending completions or chat requests, streamed or not, with
 * a long shared system prompt (prefix caching), greedy or seeded sampling, {@code n} up to 3. The
 * engine is small on purpose ({@code max_num_seqs} 6, 40 KV pages of 16 positions): requests queue
 * and running sequences are preempted. Clients misbehave at random: they close the socket after a
 * few SSE events, close it while the request is queued, prefilling or decoding, or cancel the
 * HttpClient future; twice during the run the server aborts everything in flight.
 *
 * <p>Afterwards: no KV page used (cached pages allowed), nothing running or waiting, no 5xx, no
 * other error; every request either completed with exactly the text of the same request run alone
 * (streamed chunks adding up to it), was cancelled by its client, or was aborted by the server with
 * a prefix of that text; platform threads and heap back near their starting level.
 */
class SoakTest {
  static final int DEFAULT_SECONDS = 60;
  static final int CLIENTS = 10;
  static final String SYSTEM = "You are a storyteller for small children. You tell short, happy stories about animals, "
      + "friends and toys, with simple words. Every story has a beginning, a middle and an end, and "
      + "everyone is kind to each other. ";
  static final String[] STARTS = {"Once upon a time, there was a little cat", "Tom and Sue went to the park", "The big red ball", "One sunny day, a bird"};

  /** How a request samples. */
  enum Variant {
    SHORT_GREEDY("\"max_tokens\":24,\"temperature\":0"),
    LONG_GREEDY("\"max_tokens\":160,\"temperature\":0,\"ignore_eos\":true"),
    SEEDED_N3("\"max_tokens\":40,\"temperature\":0.8,\"top_p\":0.9,\"n\":3,\"seed\":%d"),
    GREEDY_N2("\"max_tokens\":64,\"temperature\":0,\"n\":2");

    final String fields;

    Variant(String fields) {
      this.fields = fields;
    }
  }

  /** One of the finite set of requests the clients draw from (so each has a reference answer). */
  record Template(boolean chat, int start, Variant variant) {
    String body(boolean stream) {
      String fields = String.format(variant.fields, 1000 + start);
      String s = stream ? ",\"stream\":true" : "";
      if (chat) {
        return "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"system\",\"content\":\"" + SYSTEM + "\"},{\"role\":\"user\",\"content\":\""
            + STARTS[start] + "\"}]," + fields + s + "}";
      }
      return "{\"model\":\"stories260K\",\"prompt\":\"" + SYSTEM + STARTS[start] + "\"," + fields + s + "}";
    }

    String path() {
      return chat ? "/v1/chat/completions" : "/v1/completions";
    }
  }

  /** A complete answer: per choice, its text and finish reason. */
  record Answer(List<String> texts, List<String> finishReasons) {}

  enum Behaviour { COMPLETE_PLAIN, COMPLETE_STREAM, DROP_AFTER_EVENTS, DROP_PLAIN_AFTER_DELAY, DROP_AT_ONCE, CANCEL_FUTURE }

  enum Outcome { COMPLETED, CLIENT_CANCELLED, SERVER_ABORTED, FAILED }

  final Map<Outcome, AtomicLong> outcomes = new ConcurrentHashMap<>();
  final List<String> failures = new CopyOnWriteArrayList<>();
  final ConcurrentLinkedQueue<Long> latenciesMicros = new ConcurrentLinkedQueue<>();
  final AtomicLong sent = new AtomicLong();
  final AtomicLong status5xx = new AtomicLong();
  /** [start, end] nanoTime windows during which the server aborted everything in flight. */
  final List<long[]> abortWindows = new CopyOnWriteArrayList<>();

  /** Classifies the engine's aborted requests by how far they had got. */
  static final class AbortStages implements EngineObserver {
    final AtomicLong queued = new AtomicLong();
    final AtomicLong prefilling = new AtomicLong();
    final AtomicLong decoding = new AtomicLong();

    @Override
    public void onRequestFinished(GenerationResult r) {
      if (r.choices().stream().noneMatch(c -> c.finishReason() == FinishReason.ABORT)) return;
      var t = r.timings();
      if (!Double.isNaN(t.ttftSeconds())) decoding.incrementAndGet();
      else if (t.queueSeconds() >= t.e2eSeconds()) queued.incrementAndGet(); // never scheduled
      else prefilling.incrementAndGet();
    }
  }

  static EngineConfig soakEngine() {
    return EngineConfig.builder().pageSize(16).numPages(40).maxNumSeqs(6).maxNumBatchedTokens(64).maxModelLen(512)
        .maxQueuedRequests(256).build();
  }

  @Test
  void everythingAtOnceLosesNothingAndLeaksNothing() throws Exception {
    int seconds = Integer.getInteger("paternoster.soak.seconds", DEFAULT_SECONDS);
    for (Outcome o : Outcome.values()) outcomes.put(o, new AtomicLong());
    try (ReliabilityServer fx = ReliabilityServer.start(soakEngine(), ServerOptions.local(0))) {
      List<Template> templates = new ArrayList<>();
      for (boolean chat : new boolean[] {false, true}) {
        for (int s = 0; s < STARTS.length; s++) for (Variant v : Variant.values()) templates.add(new Template(chat, s, v));
      }
      // References: each request alone on the idle server.
      long t0 = System.nanoTime();
      Map<Template, Answer> reference = new ConcurrentHashMap<>();
      for (Template t : templates) {
        HttpResponse<String> r = fx.post(t.path(), t.body(false));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        reference.put(t, answer(ReliabilityServer.json(r.body()), t.chat()));
      }
      double refSeconds = (System.nanoTime() - t0) / 1e9;
      fx.awaitSettled();

      AbortStages stages = new AbortStages();
      fx.engine.addObserver(stages);
      EngineSnapshot before = fx.engine.snapshot();
      settleJvm();
      int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
      long heapBefore = usedHeap();

      long start = System.nanoTime();
      long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
      try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int c = 0; c < CLIENTS; c++) {
          long seed = 42L * (c + 1);
          clients.submit(() -> client(fx, templates, reference, new SplittableRandom(seed), deadline));
        }
        clients.submit(() -> chaos(fx, start, deadline));
      }
      double loadSeconds = (System.nanoTime() - start) / 1e9;

      fx.awaitSettled();
      EngineSnapshot after = fx.engine.snapshot();
      Thread.sleep(2_000); // idle period: connections close, pools shrink
      int threadsAfter = awaitThreads(threadsBefore + 8, Duration.ofSeconds(20));
      settleJvm();
      long heapAfter = usedHeap();

      List<Long> lat = new ArrayList<>(latenciesMicros);
      Collections.sort(lat);
      long preemptions = after.preemptionsTotal() - before.preemptionsTotal();
      String figures = String.format(
          "soak: %d s of load (%.1f s measured, references %.1f s), %d clients%n"
              + "  requests sent        %d%n"
              + "  completed correctly  %d%n"
              + "  cancelled by client  %d (engine aborts seen: queued %d, prefilling %d, decoding %d)%n"
              + "  aborted by server    %d (abortAll twice)%n"
              + "  failed               %d, 5xx %d%n"
              + "  latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms (completed requests)%n"
              + "  engine: %d steps, %d preemptions, %d generated tokens, prefix cache hit rate %.0f %%%n"
              + "  KV pages after: used %d, cached %d, free %d of %d; running %d, waiting %d%n"
              + "  platform threads %d -> %d; heap after GC %d MiB -> %d MiB%n",
          seconds, loadSeconds, refSeconds, CLIENTS, sent.get(), outcomes.get(Outcome.COMPLETED).get(),
          outcomes.get(Outcome.CLIENT_CANCELLED).get(), stages.queued.get(), stages.prefilling.get(), stages.decoding.get(),
          outcomes.get(Outcome.SERVER_ABORTED).get(), outcomes.get(Outcome.FAILED).get(), status5xx.get(),
          pct(lat, 0.5), pct(lat, 0.9), pct(lat, 0.99),
          after.steps() - before.steps(), preemptions, after.generationTokensTotal() - before.generationTokensTotal(),
          100 * hitRate(before, after), after.kvPagesUsed(), after.kvPagesCached(), after.kvPagesFree(), after.kvPagesTotal(),
          after.running(), after.waiting(), threadsBefore, threadsAfter, heapBefore >> 20, heapAfter >> 20);
      System.out.print(figures);
      Path report = Path.of("target", "reliability", "soak.txt");
      Files.createDirectories(report.getParent());
      Files.writeString(report, figures, StandardCharsets.UTF_8);

      assertThat(failures).as("requests that neither completed correctly nor were cancelled").isEmpty();
      assertThat(status5xx.get()).isZero();
      long accounted = outcomes.values().stream().mapToLong(AtomicLong::get).sum();
      assertThat(accounted).as("every request accounted for").isEqualTo(sent.get());
      assertThat(outcomes.get(Outcome.COMPLETED).get()).isPositive();
      assertThat(outcomes.get(Outcome.CLIENT_CANCELLED).get()).isPositive();
      assertThat(stages.decoding.get()).as("disconnects while decoding").isPositive();
      assertThat(stages.queued.get() + stages.prefilling.get()).as("disconnects before the first token").isPositive();
      assertThat(preemptions).as("the KV budget forced preemption").isPositive();
      assertThat(after.kvPagesUsed()).isZero();
      assertThat(after.running()).isZero();
      assertThat(after.waiting()).isZero();
      assertThat(after.kvPagesUsed() + after.kvPagesCached() + after.kvPagesFree()).isEqualTo(after.kvPagesTotal());
      assertThat(fx.server.inFlight().size()).isZero();
      assertThat(threadsAfter).as("platform threads after the idle period").isLessThanOrEqualTo(threadsBefore + 8);
      assertThat(heapAfter - heapBefore).as("heap growth after GC").isLessThan(64L << 20);
      HttpResponse<String> still = fx.post("/v1/completions", templates.getFirst().body(false));
      assertThat(answer(ReliabilityServer.json(still.body()), false)).as("serving after the soak").isEqualTo(reference.get(templates.getFirst()));
    }
  }

  /** One client: random requests with random misbehaviour until the deadline. */
  void client(ReliabilityServer fx, List<Template> templates, Map<Template, Answer> reference, SplittableRandom rnd, long deadline) {
    while (System.nanoTime() < deadline) {
      Template t = templates.get(rnd.nextInt(templates.size()));
      double p = rnd.nextDouble();
      Behaviour b = p < 0.30 ? Behaviour.COMPLETE_PLAIN
          : p < 0.60 ? Behaviour.COMPLETE_STREAM
          : p < 0.75 ? Behaviour.DROP_AFTER_EVENTS
          : p < 0.85 ? Behaviour.DROP_PLAIN_AFTER_DELAY
          : p < 0.90 ? Behaviour.DROP_AT_ONCE
          : Behaviour.CANCEL_FUTURE;
      sent.incrementAndGet();
      long begin = System.nanoTime();
      Outcome o;
      try {
        o = run(fx, t, b, reference.get(t), rnd, begin);
      } catch (Throwable e) {
        failures.add(t + " " + b + ": " + e);
        o = Outcome.FAILED;
      }
      outcomes.get(o).incrementAndGet();
      if (o == Outcome.COMPLETED) latenciesMicros.add((System.nanoTime() - begin) / 1000);
    }
  }

  Outcome run(ReliabilityServer fx, Template t, Behaviour b, Answer ref, SplittableRandom rnd, long begin) throws Exception {
    switch (b) {
      case COMPLETE_PLAIN, COMPLETE_STREAM -> {
        boolean stream = b == Behaviour.COMPLETE_STREAM;
        HttpResponse<String> r = fx.http.send(post(fx, t, stream).build(), HttpResponse.BodyHandlers.ofString());
        return check(t, stream, r.statusCode(), r.body(), ref, begin);
      }
      case DROP_AFTER_EVENTS -> {
        int events = 1 + rnd.nextInt(12);
        try (RawHttp raw = RawHttp.open(fx.port(), 60_000)) {
          raw.post(t.path(), t.body(true));
          raw.readHead();
          if (raw.status != 200) return check(t, true, raw.status, raw.readAll(), ref, begin);
          StringBuilder sb = new StringBuilder();
          for (byte[] chunk; (chunk = raw.readSome()) != null; ) {
            sb.append(new String(chunk, StandardCharsets.UTF_8));
            if (count(sb, "data: ") >= events) return Outcome.CLIENT_CANCELLED; // closes the socket mid-stream
          }
          return check(t, true, 200, sb.toString(), ref, begin); // finished before we could leave
        }
      }
      case DROP_PLAIN_AFTER_DELAY, DROP_AT_ONCE -> {
        int delay = b == Behaviour.DROP_AT_ONCE ? 0 : rnd.nextInt(300);
        try (RawHttp raw = RawHttp.open(fx.port(), 60_000)) {
          raw.post(t.path(), t.body(rnd.nextBoolean()));
          if (delay > 0) Thread.sleep(delay);
          return Outcome.CLIENT_CANCELLED;
        }
      }
      case CANCEL_FUTURE -> {
        boolean stream = rnd.nextBoolean();
        CompletableFuture<HttpResponse<String>> f = fx.http.sendAsync(post(fx, t, stream).build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(rnd.nextInt(400));
        if (f.cancel(true)) return Outcome.CLIENT_CANCELLED;
        HttpResponse<String> r = f.get();
        return check(t, stream, r.statusCode(), r.body(), ref, begin);
      }
      default -> throw new AssertionError(b);
    }
  }

  static HttpRequest.Builder post(ReliabilityServer fx, Template t, boolean stream) {
    return fx.request(t.path()).timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(t.body(stream)));
  }

  /** Checks a full answer against the reference; aborted answers must be a prefix of it. */
  Outcome check(Template t, boolean stream, int status, String body, Answer ref, long begin) throws Exception {
    if (status >= 500) status5xx.incrementAndGet();
    if (status != 200) {
      if (status >= 400) ErrorBodies.assertApiError(status, body);
      throw new AssertionError("status " + status + ": " + body);
    }
    Answer got = stream ? streamed(body, t.chat(), ref.texts().size()) : answer(ReliabilityServer.json(body), t.chat());
    if (got.finishReasons().contains("abort")) {
      long end = System.nanoTime();
      boolean overlapped = abortWindows.stream().anyMatch(w -> w[0] <= end && w[1] >= begin);
      if (!overlapped) throw new AssertionError("aborted with no client disconnect and no server abort: " + body);
      for (int i = 0; i < got.texts().size(); i++) {
        if (!ref.texts().get(i).startsWith(got.texts().get(i))) {
          throw new AssertionError("aborted choice " + i + " is not a prefix of the reference: '" + got.texts().get(i) + "' vs '" + ref.texts().get(i) + "'");
        }
      }
      return Outcome.SERVER_ABORTED;
    }
    if (!got.equals(ref)) throw new AssertionError((stream ? "streamed" : "plain") + " answer differs from the request alone:\n  got " + got + "\n  ref " + ref);
    return Outcome.COMPLETED;
  }

  static Answer answer(JsonNode r, boolean chat) {
    List<String> texts = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    for (JsonNode c : r.get("choices")) {
      texts.add(chat ? c.get("message").get("content").asText() : c.get("text").asText());
      reasons.add(c.get("finish_reason").asText());
    }
    return new Answer(texts, reasons);
  }

  static Answer streamed(String body, boolean chat, int n) throws Exception {
    List<String> data = Sse.data(body);
    if (data.isEmpty() || !data.getLast().equals("[DONE]")) throw new AssertionError("stream does not end with [DONE]: " + body);
    StringBuilder[] texts = new StringBuilder[n];
    String[] reasons = new String[n];
    for (int i = 0; i < n; i++) texts[i] = new StringBuilder();
    for (String d : data.subList(0, data.size() - 1)) {
      ObjectNode chunk = (ObjectNode) Json.MAPPER.readTree(d);
      if (chunk.has("error")) throw new AssertionError("error event in stream: " + d);
      for (JsonNode c : chunk.get("choices")) {
        int i = c.get("index").asInt();
        JsonNode delta = chat ? c.get("delta").get("content") : c.get("text");
        if (delta != null && !delta.isNull()) texts[i].append(delta.asText());
        if (c.hasNonNull("finish_reason")) {
          if (reasons[i] != null) throw new AssertionError("two finish reasons for choice " + i + ": " + body);
          reasons[i] = c.get("finish_reason").asText();
        }
      }
    }
    List<String> t = new ArrayList<>();
    for (StringBuilder sb : texts) t.add(sb.toString());
    return new Answer(t, List.of(reasons));
  }

  /** Twice during the run the server aborts everything in flight (as a second SIGTERM would). */
  void chaos(ReliabilityServer fx, long start, long deadline) {
    try {
      for (int k = 1; k <= 2; k++) {
        long at = start + (deadline - start) * k / 3;
        long wait = at - System.nanoTime();
        if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
        long[] window = {System.nanoTime(), 0};
        window[1] = Long.MAX_VALUE;
        abortWindows.add(window);
        fx.server.abortAll();
        window[1] = System.nanoTime();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static int count(CharSequence s, String what) {
    int n = 0;
    for (int i = s.toString().indexOf(what); i >= 0; i = s.toString().indexOf(what, i + 1)) n++;
    return n;
  }

  static double pct(List<Long> sorted, double q) {
    if (sorted.isEmpty()) return Double.NaN;
    return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size()))) / 1000.0;
  }

  static double hitRate(EngineSnapshot a, EngineSnapshot b) {
    long q = b.prefixCacheQueriesTotal() - a.prefixCacheQueriesTotal();
    return q == 0 ? 0 : (double) (b.prefixCacheHitsTotal() - a.prefixCacheHitsTotal()) / q;
  }

  static void settleJvm() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
  }

  static long usedHeap() {
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  static int awaitThreads(int atMost, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    int n;
    while ((n = ManagementFactory.getThreadMXBean().getThreadCount()) > atMost && System.nanoTime() < end) Thread.sleep(200);
    return n;
  }

}
