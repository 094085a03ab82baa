package dev.paternoster.cli;

import dev.paternoster.engine.Engine;
import dev.paternoster.engine.EngineConfig;
import dev.paternoster.model.KvCacheDtype;
import dev.paternoster.model.LlamaModel;
import dev.paternoster.server.ChatTemplate;
import dev.paternoster.server.ModelLocator;
import dev.paternoster.server.OpenAiServer;
import dev.paternoster.server.ServedModel;
import dev.paternoster.server.ServerOptions;
import dev.paternoster.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code paternoster serve}: the OpenAI-compatible server with continuous batching. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Serve a GGUF model over an OpenAI-compatible HTTP API (completions, chat, streaming),",
        "with /metrics, /health and a live view of the batch at /."})
public final class ServeCommand implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, paramLabel = "PATH",
      description = "GGUF model file. Default: $PATERNOSTER_MODEL, else the first *.gguf under ./models/, else ../shared/models/stories260K/stories260K.gguf.")
  Path model;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only).")
  String host;

  @Option(names = {"-p", "--port"}, defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 = any free port).")
  int port;

  @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' on the API. Default: $PATERNOSTER_API_KEY, else none.")
  String apiKey;

  @Option(names = "--served-model-name", description = "Model id clients send and /v1/models lists (default: the file name without .gguf).")
  String servedModelName;

  @Option(names = "--max-queued-requests", defaultValue = "1024", description = "Waiting requests beyond which new ones get 429 (default: ${DEFAULT-VALUE}).")
  int maxQueuedRequests;

  @Mixin EngineOptions engine = new EngineOptions();

  @Option(names = "--max-model-len", description = "Longest prompt + max_tokens (default: the model's context length).")
  Integer maxModelLen;

  @Option(names = "--scheduling-policy", defaultValue = "fcfs", description = "fcfs or priority (lower 'priority' first) (default: ${DEFAULT-VALUE}).")
  String schedulingPolicy;

  @Option(names = "--grace-period", defaultValue = "30", paramLabel = "SECONDS",
      description = "On SIGTERM/SIGINT, how long running requests may finish before they are aborted (default: ${DEFAULT-VALUE}).")
  double gracePeriodSeconds;

  @Option(names = "--max-body-size", defaultValue = "8m", converter = ByteSize.class, paramLabel = "SIZE",
      description = "Largest request body; larger ones get 413 (default: ${DEFAULT-VALUE}).")
  long maxBodySize;

  @Option(names = "--warm-up", description = "Compile the matmul kernels before accepting requests (a few seconds; first requests are faster).")
  boolean warmUp;

  @Override
  public Integer call() throws Exception {
    Path modelPath = ModelLocator.locate(model, System.getenv(), ModelLocator.defaultBases())
        .orElseThrow(() -> new IllegalArgumentException(ModelLocator.HOW_TO));
    if (!Files.isRegularFile(modelPath)) {
      throw new IllegalArgumentException("model file not found: " + modelPath + " (" + ModelLocator.HOW_TO.substring(ModelLocator.HOW_TO.indexOf("Give")) + ")");
    }
    EngineConfig config = engineConfig();
    String key = apiKey != null ? apiKey : System.getenv("PATERNOSTER_API_KEY");
    ServerOptions options = new ServerOptions(host, port, key, maxBodySize);
    warnIfExposed(options);
    String name = servedModelName != null ? servedModelName : modelPath.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
    Duration grace = Duration.ofMillis((long) (gracePeriodSeconds * 1000));

    // Bind first: while the model loads, /health answers 503 and orchestrators know we are alive.
    OpenAiServer server = new OpenAiServer(options).start();
    CountDownLatch stopped = new CountDownLatch(1);
    ShutdownSignals.install(
        () -> {
          System.err.printf("paternoster: shutting down (grace period %.0f s; signal again to abort now)%n", gracePeriodSeconds);
          server.shutdown(grace);
          stopped.countDown();
        },
        () -> {
          System.err.println("paternoster: aborting running requests");
          server.abortAll();
        });

    System.err.println("paternoster: loading " + modelPath);
    long t0 = System.nanoTime();
    if (System.console() != null) LoadProgress.warm(modelPath, System.err);
    Parallel pool = engine.pool();
    try (LlamaModel m = LlamaModel.load(modelPath, config.maxNumBatchedTokens(), pool, engine.numerics())) {
      if (warmUp) {
        // Vector API code is hundreds of times slower until the JIT has compiled it: pay that
        // before the first request rather than during it.
        System.err.printf("paternoster: warmed up the matmul kernels in %.1f s%n", dev.paternoster.tensor.Matmul.warmUp(pool, engine.numerics() == dev.paternoster.model.Numerics.FAST).toMillis() / 1e3);
      }
      Engine engine = Engine.start(m, config);
      ChatTemplate template = ChatTemplate.fromGguf(modelPath, m.tokenizer());
      if (!server.ready(ServedModel.of(name, engine, template))) { // a signal arrived while loading
        engine.close();
        stopped.await();
        return 0;
      }
      System.err.printf("paternoster: %s loaded in %.1f s (%s, %d layers; chat template: %s)%n", modelPath.getFileName(),
          (System.nanoTime() - t0) / 1e9, m.config().architecture(), m.config().layers(),
          template.isFallback() ? "none in the model, using the 'Role: content' fallback" : "from the model");
      printBanner(server, name, options.apiKey() != null);
      stopped.await();
      engine.close();
    }
    return 0;
  }

  EngineConfig engineConfig() {
    EngineConfig.Builder b = engine.builder()
        .maxQueuedRequests(maxQueuedRequests)
        .policy(switch (schedulingPolicy.toLowerCase(Locale.ROOT)) {
          case "fcfs" -> EngineConfig.Policy.FCFS;
          case "priority" -> EngineConfig.Policy.PRIORITY;
          default -> throw new IllegalArgumentException("--scheduling-policy must be fcfs or priority, got '" + schedulingPolicy + "'");
        });
    if (maxModelLen != null) b.maxModelLen(maxModelLen);
    return b.build();
  }

  private static void warnIfExposed(ServerOptions o) {
    String warning = o.exposureWarning();
    if (warning != null) System.err.println("paternoster: WARNING: " + warning);
  }

  private static void printBanner(OpenAiServer server, String name, boolean auth) {
    String url = server.baseUrl();
    String authHeader = auth ? " -H 'Authorization: Bearer YOUR_API_KEY'" : "";
    System.out.printf("""

        Paternoster is serving '%s' at %s
          live view of the batch:  %s/
          metrics:                 %s/metrics
        Try:
          curl %s/v1/completions -H 'Content-Type: application/json'%s \\
            -d '{"model": "%s", "prompt": "Once upon a time", "max_tokens": 32}'

        """, name, url, url, url, url, authHeader, name);
    System.out.flush();
  }
}
