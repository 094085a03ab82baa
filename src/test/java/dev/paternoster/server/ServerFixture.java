package dev.paternoster.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.TestModels;
import dev.paternoster.engine.Engine;
import dev.paternoster.engine.EngineConfig;
import dev.paternoster.model.LlamaModel;
import dev.paternoster.model.Model;
import dev.paternoster.tensor.Parallel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real server on a free port with the real stories260K model (tests are skipped when the shared
 * model is absent), optionally slowed down per step.
 */
final class ServerFixture implements AutoCloseable {
  final Path modelPath;
  final LlamaModel model;
  final ThrottledModel throttled;
  final Engine engine;
  final OpenAiServer server;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private ServerFixture(EngineConfig config, ServerOptions options, long stepMillis) {
    modelPath = TestModels.stories260K();
    model = LlamaModel.load(modelPath, 256, new Parallel(1));
    throttled = new ThrottledModel(model, stepMillis);
    engine = Engine.start(throttled, config);
    server = new OpenAiServer(options).start();
    server.ready(ServedModel.of("stories260K", engine, ChatTemplate.fromGguf(modelPath, model.tokenizer())));
  }

  static ServerFixture start() {
    return start(smallEngine().build(), ServerOptions.local(0), 0);
  }

  static ServerFixture start(EngineConfig config, ServerOptions options, long stepMillis) {
    return new ServerFixture(config, options, stepMillis);
  }

  static EngineConfig.Builder smallEngine() {
    return EngineConfig.builder().numPages(256).pageSize(16).maxNumSeqs(16).maxNumBatchedTokens(256).maxModelLen(1024);
  }

  String url(String path) {
    return server.baseUrl() + path;
  }

  HttpResponse<String> post(String path, String json) throws Exception {
    return post(path, json, null);
  }

  HttpResponse<String> post(String path, String json, String apiKey) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path)))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
    if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return Json.MAPPER.readTree(r.body());
  }

  @Override
  public void close() {
    server.shutdown(Duration.ZERO);
    engine.close();
    model.close();
  }
}
