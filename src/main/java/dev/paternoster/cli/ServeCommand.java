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

  @Option(names = "--max-num-seqs", defaultValue = "64", description = "Most sequences in one step (default: ${DEFAULT-VALUE}).")
  int maxNumSeqs;

  @Option(names = "--max-num-batched-tokens", defaultValue = "512", description = "Token budget of one step: decode tokens plus prefill chunks (default: ${DEFAULT-VALUE}).")
  int maxNumBatchedTokens;

  @Option(names = "--kv-cache-memory", converter = ByteSize.class, paramLabel = "SIZE",
      description = "Memory for the KV cache, e.g. 512m, 2g (default: enough for max-num-seqs full contexts, at most half the free memory).")
  Long kvCacheMemory;

  @Option(names = "--kv-cache-dtype", defaultValue = "f16", paramLabel = "TYPE",
      description = "KV cache element type: f16 (default: llama.cpp's default KV cache, its flash-attention arithmetic bit for bit, half the memory of f32) or f32.")
  String kvCacheDtype;

  @Option(names = "--page-size", defaultValue = "16", description = "Token positions per KV page (default: ${DEFAULT-VALUE}).")
  int pageSize;

  @Option(names = "--max-model-len", description = "Longest prompt + max_tokens (default: the model's context length).")
  Integer maxModelLen;

  @Option(names = "--max-wait", defaultValue = "0", paramLabel = "MS",
      description = "When idle, hold the first arrival up to this many ms to gather a fuller batch; the batch window in static mode (default: ${DEFAULT-VALUE}).")
  long maxWaitMillis;

  @Option(names = "--scheduling-policy", defaultValue = "fcfs", description = "fcfs or priority (lower 'priority' first) (default: ${DEFAULT-VALUE}).")
  String schedulingPolicy;

  @Option(names = "--batching", defaultValue = "continuous", description = "continuous (join/leave every step) or static (request-level baseline) (default: ${DEFAULT-VALUE}).")
  String batching;

  @Option(names = "--max-batch-size", defaultValue = "8", description = "Requests per batch with --batching static (default: ${DEFAULT-VALUE}).")
  int maxBatchSize;

  @Option(names = "--no-prefix-caching", description = "Do not reuse KV pages of identical prompt prefixes.")
  boolean noPrefixCaching;

  @Option(names = "--grace-period", defaultValue = "30", paramLabel = "SECONDS",
      description = "On SIGTERM/SIGINT, how long running requests may finish before they are aborted (default: ${DEFAULT-VALUE}).")
  double gracePeriodSeconds;

  @Option(names = "--max-body-size", defaultValue = "8m", converter = ByteSize.class, paramLabel = "SIZE",
      description = "Largest request body; larger ones get 413 (default: ${DEFAULT-VALUE}).")
  long maxBodySize;

  @Option(names = "--warm-up", description = "Compile the matmul kernels before accepting requests (a few seconds; first requests are faster).")
  boolean warmUp;

  @Option(names = "--threads", description = "Compute threads for the model (default: all cores).")
  Integer threads;

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
    Parallel pool = threads != null ? new Parallel(threads) : Parallel.shared();
    try (LlamaModel m = LlamaModel.load(modelPath, config.maxNumBatchedTokens(), pool)) {
      if (warmUp) {
        // Vector API code is hundreds of times slower until the JIT has compiled it: pay that
        // before the first request rather than during it.
        System.err.printf("paternoster: warmed up the matmul kernels in %.1f s%n", dev.paternoster.tensor.Matmul.warmUp(pool).toMillis() / 1e3);
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
    EngineConfig.Builder b = EngineConfig.builder()
        .pageSize(pageSize)
        .kvCacheDtype(KvCacheDtype.parse(kvCacheDtype))
        .maxNumSeqs(maxNumSeqs)
        .maxNumBatchedTokens(maxNumBatchedTokens)
        .maxQueuedRequests(maxQueuedRequests)
        .maxWait(Duration.ofMillis(maxWaitMillis))
        .maxBatchSize(maxBatchSize)
        .enablePrefixCaching(!noPrefixCaching)
        .policy(switch (schedulingPolicy.toLowerCase(Locale.ROOT)) {
          case "fcfs" -> EngineConfig.Policy.FCFS;
          case "priority" -> EngineConfig.Policy.PRIORITY;
          default -> throw new IllegalArgumentException("--scheduling-policy must be fcfs or priority, got '" + schedulingPolicy + "'");
        })
        .mode(switch (batching.toLowerCase(Locale.ROOT)) {
          case "continuous" -> EngineConfig.Mode.CONTINUOUS;
          case "static" -> EngineConfig.Mode.STATIC;
          default -> throw new IllegalArgumentException("--batching must be continuous or static, got '" + batching + "'");
        });
    if (kvCacheMemory != null) b.kvCacheBytes(kvCacheMemory);
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
