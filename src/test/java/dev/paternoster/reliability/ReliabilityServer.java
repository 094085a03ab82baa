package dev.paternoster.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.TestModels;
import dev.paternoster.engine.Engine;
import dev.paternoster.engine.EngineConfig;
import dev.paternoster.engine.EngineSnapshot;
import dev.paternoster.model.LlamaModel;
import dev.paternoster.server.ChatTemplate;
import dev.paternoster.server.Json;
import dev.paternoster.server.OpenAiServer;
import dev.paternoster.server.ServedModel;
import dev.paternoster.server.ServerOptions;
import dev.paternoster.tensor.Parallel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * A real Paternoster server for the reliability tests: stories260K through {@link FaultyModel}, the
 * real {@link Engine} and {@link OpenAiServer} on 127.0.0.1 and a free port, and an HTTP/1.1 client
 * on virtual threads. Only public API of the server package is used, as an embedding would.
 */
final class ReliabilityServer implements AutoCloseable {
  static final String MODEL_NAME = "stories260K";

  final Path modelPath;
  final Parallel pool = new Parallel(1);
  final LlamaModel model;
  final FaultyModel faulty;
  final Engine engine;
  final OpenAiServer server;
  private final ExecutorService clientExecutor = Executors.newVirtualThreadPerTaskExecutor();
  final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .executor(clientExecutor)
      .build();

  private ReliabilityServer(Path modelPath, EngineConfig config, ServerOptions options) {
    this.modelPath = modelPath;
    this.model = LlamaModel.load(modelPath, config.maxNumBatchedTokens(), pool);
    this.faulty = new FaultyModel(model);
    this.engine = Engine.start(faulty, config);
    this.server = new OpenAiServer(options).start();
    server.ready(ServedModel.of(MODEL_NAME, engine, ChatTemplate.fromGguf(modelPath, model.tokenizer())));
  }

  static ReliabilityServer start(EngineConfig config, ServerOptions options) {
    return new ReliabilityServer(TestModels.stories260K(), config, options);
  }

  static ReliabilityServer start(Path modelPath, EngineConfig config, ServerOptions options) {
    return new ReliabilityServer(modelPath, config, options);
  }

  static ReliabilityServer start() {
    return start(engineConfig().build(), ServerOptions.local(0));
  }

  /** A small engine: 256 pages of 16 positions, 16 sequences, contexts of 1024 tokens. */
  static EngineConfig.Builder engineConfig() {
    return EngineConfig.builder().numPages(256).pageSize(16).maxNumSeqs(16).maxNumBatchedTokens(256).maxModelLen(1024);
  }

  int port() {
    return server.port();
  }

  String url(String path) {
    return server.baseUrl() + path;
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(60));
  }

  HttpResponse<String> post(String path, String json) throws Exception {
    return post(path, json, null);
  }

  HttpResponse<String> post(String path, String json, String apiKey) throws Exception {
    HttpRequest.Builder b = request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
    if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(String body) throws Exception {
    return Json.MAPPER.readTree(body);
  }

  /** Waits (up to 20 s) until nothing runs, waits, holds a KV page or is in flight in the server. */
  void awaitSettled() throws InterruptedException {
    await("engine and server idle", () -> {
      EngineSnapshot s = engine.snapshot();
      return s.running() == 0 && s.waiting() == 0 && s.kvPagesUsed() == 0 && server.inFlight().size() == 0;
    }, Duration.ofSeconds(20));
  }

  static void await(String what, BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not reached within " + timeout.toSeconds() + " s: " + what);
      Thread.sleep(10);
    }
  }

  @Override
  public void close() {
    server.shutdown(Duration.ZERO);
    engine.close();
    model.close();
    pool.close();
    http.close();
    clientExecutor.close();
  }
}
