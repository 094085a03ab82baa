package dev.paternoster.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paternoster.engine.EngineSnapshot;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Paternoster's HTTP server: the OpenAI-compatible API, {@code /health}, {@code /metrics} and the
 * live view, on Javalin (Jetty 12) with one virtual thread per request, so handlers simply block
 * while the engine generates.
 *
 * <p>Lifecycle: {@link #start()} binds the port while the model still loads ({@code /health} is 503
 * and the API answers 503), {@link #ready} makes it serve, {@link #shutdown} drains it.
 */
public final class OpenAiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OpenAiServer.class);
  /** Jetty's idle timeout; long generations keep their connection through it (see ClientDisconnect). */
  private static final long IDLE_TIMEOUT_MILLIS = 5 * 60_000;

  /** What the server is doing; {@code /health} is 200 only when {@link #READY}. */
  public enum State { LOADING, READY, DRAINING, STOPPED }

  private final ServerOptions options;
  private final ApiKeyAuth auth;
  private final InFlightRequests inFlight = new InFlightRequests();
  private final GenerationResponder responder = new GenerationResponder(inFlight);
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, byte[]> staticFiles = new ConcurrentHashMap<>();
  private final Javalin app;
  private volatile State state = State.LOADING;
  private volatile ServedModel model;
  private volatile LiveView liveView;
  private volatile MetricsObserver metrics;
  private TrackingConnector connector;

  public OpenAiServer(ServerOptions options) {
    this.options = options;
    this.auth = new ApiKeyAuth(options.apiKey());
    CompletionHandler completions = new CompletionHandler(this);
    ChatHandler chat = new ChatHandler(this);
    TokenizeHandler tokenize = new TokenizeHandler(this);
    ModelsHandler models = new ModelsHandler(this);
    this.app = Javalin.create(cfg -> {
      cfg.concurrency.useVirtualThreads = true;
      cfg.startup.showJavalinBanner = false;
      cfg.startup.showOldJavalinVersionWarning = false;
      cfg.http.compressionStrategy = CompressionStrategy.NONE; // gzip would buffer SSE streams
      cfg.jetty.modifyServer(server -> server.setErrorHandler(new JettyErrors()));
      cfg.jetty.addConnector((server, httpConfig) -> {
        // Jetty reuses header fields seen earlier on a kept-alive connection, matching them
        // case-insensitively by default: "Authorization: Bearer KEY" would then also accept "key".
        httpConfig.setHeaderCacheCaseSensitive(true);
        connector = new TrackingConnector(server, new HttpConnectionFactory(httpConfig));
        connector.setHost(options.host());
        connector.setPort(options.port());
        connector.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
        return connector;
      });
      var r = cfg.routes;
      r.before(auth::check);
      r.get("/health", this::health);
      r.get("/metrics", this::metricsText);
      r.get("/v1/models", models::list);
      r.post("/v1/completions", completions::handle);
      r.post("/v1/chat/completions", chat::handle);
      r.post("/tokenize", tokenize::tokenize);
      r.post("/detokenize", tokenize::detokenize);
      r.get("/v1/engine/steps", ctx -> requireLiveView().stream(ctx));
      r.get("/", ctx -> staticFile(ctx, "index.html", "text/html; charset=utf-8"));
      r.get("/live/app.js", ctx -> staticFile(ctx, "app.js", "text/javascript; charset=utf-8"));
      r.get("/live/style.css", ctx -> staticFile(ctx, "style.css", "text/css; charset=utf-8"));
      r.exception(ApiException.class, (e, ctx) -> Responses.error(ctx, e));
      r.exception(Exception.class, (e, ctx) -> {
        // An unexpected exception is a bug; its message speaks Java (class names, parser
        // internals), so the client gets an id to quote and the log gets the stack trace.
        String id = Ids.next("err-");
        LOG.error("{} {} failed (error id {})", ctx.method(), ctx.path(), id, e);
        Responses.error(ctx, ApiException.internal("Internal server error (error id " + id + "; the server log has the details)."));
      });
      r.error(404, ctx -> Responses.json(ctx, 404,
          ErrorResponse.of("No route for " + ctx.method() + " " + ctx.path(), "not_found_error", null, "not_found")));
    });
  }

  /** Binds the port; the API answers 503 until {@link #ready}. */
  public OpenAiServer start() {
    app.start();
    LOG.info("listening on {}", baseUrl());
    return this;
  }

  /**
   * The model is loaded and its engine running: start serving it. Returns false (and serves
   * nothing) when shutdown began while the model was loading.
   */
  public synchronized boolean ready(ServedModel m) {
    if (state != State.LOADING) return false;
    this.metrics = new MetricsObserver(registry, m.name(), () -> m.engine().snapshot());
    this.liveView = new LiveView(() -> m.engine().snapshot());
    m.engine().addObserver(metrics);
    m.engine().addObserver(liveView);
    this.model = m;
    this.state = State.READY;
    return true;
  }

  public State state() {
    return state;
  }

  public ServerOptions options() {
    return options;
  }

  GenerationResponder responder() {
    return responder;
  }

  /** For tests: the connector, which tracks the sockets it accepted. */
  TrackingConnector connector() {
    return connector;
  }

  /** For tests: whether Jetty's connector (its selector included) has stopped. */
  boolean connectorStopped() {
    return connector.isStopped();
  }

  public InFlightRequests inFlight() {
    return inFlight;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The bound port (the real one when {@link ServerOptions#port()} was 0). */
  public int port() {
    return connector.getLocalPort();
  }

  public String baseUrl() {
    String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
    if (host.equals("0.0.0.0") || host.equals("[::]")) host = "127.0.0.1";
    return "http://" + host + ":" + port();
  }

  /** The served model, or 503 while loading or shutting down. */
  ServedModel requireModel() {
    ServedModel m = model;
    State s = state;
    if (s == State.READY && m != null) return m;
    throw ApiException.unavailable(s == State.LOADING ? "The model is still loading; retry shortly." : "The server is shutting down.");
  }

  private LiveView requireLiveView() {
    requireModel();
    return liveView;
  }

  private void health(Context ctx) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("status", state.name().toLowerCase());
    if (state != State.READY) ctx.header("Retry-After", "1");
    Responses.json(ctx, state == State.READY ? 200 : 503, body);
  }

  private void metricsText(Context ctx) {
    ctx.contentType("text/plain; version=0.0.4; charset=utf-8");
    ctx.result(registry.scrape());
  }

  private void staticFile(Context ctx, String name, String contentType) {
    byte[] body = staticFiles.computeIfAbsent(name, n -> {
      try (InputStream in = OpenAiServer.class.getResourceAsStream("live/" + n)) {
        if (in == null) throw new IllegalStateException("missing resource live/" + n);
        return in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    ctx.contentType(contentType);
    ctx.header("Cache-Control", "no-cache");
    ctx.result(body);
  }

  /**
   * Graceful stop: new requests get 503 at once; running and queued ones may finish within {@code
   * grace}; whatever is left is then aborted (its client gets what was generated, finish_reason
   * "abort"); finally the engine and the HTTP server stop. Idempotent.
   */
  public void shutdown(Duration grace) {
    synchronized (this) {
      if (state == State.DRAINING || state == State.STOPPED) return;
      state = State.DRAINING;
    }
    int waiting = inFlight.size();
    LOG.info("shutting down: {} request(s) in flight, grace period {} s", waiting, grace.toMillis() / 1000.0);
    try {
      if (!inFlight.awaitEmpty(grace)) {
        LOG.info("grace period over: aborting {} request(s)", inFlight.abortAll());
        inFlight.awaitEmpty(Duration.ofSeconds(5)); // their handlers write the aborted answers
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      inFlight.abortAll();
    }
    ServedModel m = model;
    if (liveView != null) liveView.close();
    if (m != null) m.engine().shutdown(Duration.ZERO);
    try {
      // Requests submitted after the drain above (their handlers passed the state check just
      // before it) were aborted by the engine's stop: let their handlers write those answers
      // before Jetty's stop closes every connection.
      inFlight.awaitEmpty(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    app.stop();
    int leftOpen = connector.closeLeftovers();
    if (leftOpen > 0) LOG.info("closed {} connection(s) accepted while stopping", leftOpen);
    state = State.STOPPED;
    LOG.info("stopped");
  }

  /** Aborts every request in flight now (a second SIGTERM/SIGINT during the grace period). */
  public void abortAll() {
    int n = inFlight.abortAll();
    if (n > 0) LOG.info("aborted {} request(s)", n);
  }

  @Override
  public void close() {
    shutdown(Duration.ZERO);
  }

  /** For tests and the CLI: the current engine gauges, or null before the model is ready. */
  public EngineSnapshot engineSnapshot() {
    ServedModel m = model;
    return m == null ? null : m.engine().snapshot();
  }
}
