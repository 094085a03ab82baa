package dev.paternoster.cli;

import dev.paternoster.bench.ArrivalProcess;
import dev.paternoster.bench.BatchedBench;
import dev.paternoster.bench.BenchPlots;
import dev.paternoster.bench.BenchRunner;
import dev.paternoster.bench.Comparison;
import dev.paternoster.bench.ConsoleReport;
import dev.paternoster.bench.EngineTarget;
import dev.paternoster.bench.HttpTarget;
import dev.paternoster.bench.LengthDistribution;
import dev.paternoster.bench.ProgressBar;
import dev.paternoster.bench.Report;
import dev.paternoster.bench.RequestRecord;
import dev.paternoster.bench.RequestSpec;
import dev.paternoster.bench.RunResult;
import dev.paternoster.bench.RunSummary;
import dev.paternoster.bench.Target;
import dev.paternoster.bench.TokenPool;
import dev.paternoster.bench.Workload;
import dev.paternoster.engine.EngineConfig;
import dev.paternoster.gguf.GGUFFile;
import dev.paternoster.model.LlamaModel;
import dev.paternoster.tensor.Parallel;
import dev.paternoster.tokenizer.Tokenizers;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code paternoster bench}: a load generator in the style of vLLM's {@code benchmark_serving},
 * against the in-process engine or any OpenAI-compatible server; plus {@code --compare} (static vs
 * continuous batching on one workload), {@code --sweep-rates} (latency vs load) and
 * {@code --batched-bench} (llama-batched-bench's measurement).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
      "Benchmark the engine in-process (--model) or an OpenAI-compatible server (--url).",
      "Examples:",
      "  paternoster bench --model m.gguf --request-rate 4 --num-requests 200 --json out.json --plot out.svg",
      "  paternoster bench --model m.gguf --compare static,continuous --input-dist sharegpt --output-dist sharegpt",
      "  paternoster bench --url http://127.0.0.1:8080 --tokenizer m.gguf --concurrency 32 --num-requests 64",
      "  paternoster bench --model m.gguf --batched-bench --parallel 1,16,32 --input-len 128 --output-len 128"})
public final class BenchCommand implements Callable<Integer> {

  @ArgGroup(exclusive = true, multiplicity = "1")
  TargetChoice target;

  static final class TargetChoice {
    @Option(names = {"-m", "--model"}, description = "GGUF model: benchmark the engine in this process.")
    Path model;

    @Option(names = "--url", description = "Base URL of an OpenAI-compatible server (loopback), e.g. http://127.0.0.1:8080.")
    URI url;
  }

  // ---- workload ----
  @Option(names = "--request-rate", description = "Open loop: mean requests/s (Poisson, or gamma with --burstiness); 'inf' = all at once.")
  String requestRate;

  @Option(names = "--burstiness", defaultValue = "1.0", description = "Gamma shape of inter-arrival gaps: 1 = Poisson, <1 bursty (default: ${DEFAULT-VALUE}).")
  double burstiness;

  @Option(names = "--concurrency", defaultValue = "0",
      description = "Closed loop with N clients; with --request-rate, the most requests in flight.")
  int concurrency;

  @Option(names = "--num-requests", description = "Requests to send (default 100, or unbounded with --duration).")
  Integer numRequests;

  @Option(names = "--duration", description = "Stop sending after this many seconds.")
  Double duration;

  @Option(names = "--input-len", defaultValue = "128", description = "Prompt tokens: fixed length, uniform centre or sharegpt median (default: ${DEFAULT-VALUE}).")
  int inputLen;

  @Option(names = "--output-len", defaultValue = "128", description = "Output tokens, as --input-len (default: ${DEFAULT-VALUE}).")
  int outputLen;

  @Option(names = "--input-dist", defaultValue = "fixed", description = "fixed, uniform or sharegpt (default: ${DEFAULT-VALUE}).")
  String inputDist;

  @Option(names = "--output-dist", defaultValue = "fixed", description = "fixed, uniform or sharegpt (default: ${DEFAULT-VALUE}).")
  String outputDist;

  @Option(names = "--range-ratio", defaultValue = "0.5", description = "uniform: lengths in len*[1-r, 1+r] (default: ${DEFAULT-VALUE}).")
  double rangeRatio;

  @Option(names = "--sigma", defaultValue = "1.0", description = "sharegpt: log-normal sigma (default: ${DEFAULT-VALUE}).")
  double sigma;

  @Option(names = "--max-input-len", defaultValue = "0", description = "sharegpt: clip prompts here (default 4 x --input-len).")
  int maxInputLen;

  @Option(names = "--max-output-len", defaultValue = "0", description = "sharegpt: clip outputs here (default 4 x --output-len).")
  int maxOutputLen;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of prompts, lengths and arrivals (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--no-byte-bias", negatable = false,
      description = "Do not bias against the 256 byte tokens (ids 3..258); by default every request sends logit_bias -100 for them.")
  boolean noByteBias;

  // ---- modes ----
  @Option(names = "--compare", description = "Run the workload under each batching mode, e.g. static,continuous, and print the ratios.")
  String compare;

  @Option(names = "--sweep-rates", split = ",", description = "Run the workload at each request rate (latency vs load), e.g. 1,2,4,8.")
  List<Double> sweepRates;

  @Option(names = "--batched-bench", description = "llama-batched-bench's measurement: --parallel sequences of --input-len prompt tokens generating --output-len tokens together.")
  boolean batchedBench;

  @Option(names = "--parallel", split = ",", defaultValue = "1,16,32", description = "--batched-bench: sequence counts (default: ${DEFAULT-VALUE}).")
  List<Integer> parallel;

  // ---- engine (in-process) ----
  @Mixin EngineOptions engine = new EngineOptions();










  // ---- HTTP ----
  @Option(names = "--tokenizer", description = "--url: GGUF file whose vocabulary the prompts are drawn from (special and byte tokens avoided).")
  Path tokenizer;

  @Option(names = "--vocab-size", description = "--url without --tokenizer: draw prompt ids from 259..N-1.")
  Integer vocabSize;

  @Option(names = "--request-timeout", defaultValue = "600", description = "--url: seconds before a request is given up (default: ${DEFAULT-VALUE}).")
  int requestTimeout;

  // ---- output ----
  @Option(names = "--json", description = "Write the report as JSON to this file.")
  Path json;

  @Option(names = "--plot", description = "Write an SVG figure (tokens/s over time, latency CDFs; latency vs load for sweeps).")
  Path plot;

  @Option(names = "--save-requests", description = "Include every request's timings in the JSON.")
  boolean saveRequests;

  @Option(names = "--no-warmup", negatable = false, description = "Skip the short unmeasured warm-up request (JIT, page-in).")
  boolean noWarmup;

  @Option(names = "--quiet", description = "No progress on stderr.")
  boolean quiet;

  private final PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);

  @Override
  public Integer call() throws Exception {
    if (compare != null && sweepRates != null) throw new IllegalArgumentException("--compare and --sweep-rates do not combine");
    if (batchedBench && target.model == null) throw new IllegalArgumentException("--batched-bench needs --model (in-process)");
    if (compare != null && target.model == null) throw new IllegalArgumentException("--compare needs --model (it restarts the engine per mode)");
    if (target.url != null) checkLoopbackOrSaid(target.url);
    return target.model != null ? inProcess() : overHttp();
  }

  private Integer inProcess() throws Exception {
    Parallel pool = engine.pool();
    int batchTokens = Math.max(engine.maxNumBatchedTokens, batchedBench ? 512 : 1);
    long t0 = System.nanoTime();
    try (LlamaModel model = LlamaModel.load(target.model, batchTokens, pool, engine.numerics())) {
      System.err.printf("bench: loaded %s (%s, %d layers, dim %d, vocab %d, context %d) in %d ms, %d threads%n",
          target.model.getFileName(), model.config().architecture(), model.config().layers(), model.config().dim(),
          model.config().vocabSize(), model.config().contextLength(), (System.nanoTime() - t0) / 1_000_000, pool.threads());
      TokenPool tokens = TokenPool.of(model.tokenizer());
      Map<Integer, Float> bias = byteBias(tokens);
      if (batchedBench) return batched(model, tokens, bias);

      Workload workload = workload(tokens, model.config().contextLength());
      EngineConfig base = engineConfig(workload);
      if (sweepRates != null) {
        try (EngineTarget t = new EngineTarget(model, base.toBuilder().mode(mode(engine.batching)).build(), bias)) {
          return sweep(t, workload, new Report("sweep", workload));
        }
      }
      List<EngineConfig.Mode> modes = compare != null ? modes(compare) : List.of(mode(engine.batching));
      List<RunResult> runs = new ArrayList<>();
      List<RunSummary> summaries = new ArrayList<>();
      Report report = new Report(compare != null ? "compare" : "serving", workload);
      for (EngineConfig.Mode mode : modes) {
        try (EngineTarget t = new EngineTarget(model, base.toBuilder().mode(mode).build(), bias)) {
          warmup(t, workload);
          RunResult run = runner().run(mode.name().toLowerCase(Locale.ROOT), t, workload);
          runs.add(run);
          summaries.add(RunSummary.of(run));
          report.addRun(run, summaries.getLast(), saveRequests);
          out.print(ConsoleReport.run(summaries.getLast()));
        }
      }
      if (compare != null) {
        Comparison c = new Comparison(summaries.get(modes.indexOf(EngineConfig.Mode.STATIC)),
            summaries.get(modes.indexOf(EngineConfig.Mode.CONTINUOUS)));
        report.setComparison(c);
        out.print(ConsoleReport.comparison(c));
      }
      finish(report, runs, workload);
      return summaries.stream().allMatch(s -> s.completed() > 0) ? 0 : 1;
    }
  }

  private Integer overHttp() throws Exception {
    Map<Integer, Float> noBias = Map.of();
    try (HttpTarget probe = new HttpTarget(target.url, noBias, Duration.ofSeconds(requestTimeout))) {
      TokenPool tokens = httpTokens(probe.reportedVocabSize());
      Map<Integer, Float> bias = byteBias(tokens);
      Workload workload = workload(tokens, 0);
      try (HttpTarget t = new HttpTarget(target.url, bias, Duration.ofSeconds(requestTimeout))) {
        Report report = new Report(sweepRates != null ? "sweep" : "serving", workload);
        if (sweepRates != null) return sweep(t, workload, report);
        warmup(t, workload);
        RunResult run = runner().run("http", t, workload);
        RunSummary s = RunSummary.of(run);
        report.addRun(run, s, saveRequests);
        out.print(ConsoleReport.run(s));
        finish(report, List.of(run), workload);
        return s.completed() > 0 ? 0 : 1;
      }
    }
  }

  private Integer sweep(Target t, Workload workload, Report report) throws Exception {
    warmup(t, workload);
    List<RunSummary> summaries = new ArrayList<>();
    List<RunResult> runs = new ArrayList<>();
    for (double rate : sweepRates) {
      RunResult run = runner().run("rate " + rateLabel(rate), t,
          workload.withArrivals(ArrivalProcess.gamma(rate, burstiness)));
      runs.add(run);
      summaries.add(RunSummary.of(run));
      report.addRun(run, summaries.getLast(), saveRequests);
    }
    report.setSweep(sweepRates, summaries);
    out.print(ConsoleReport.sweep(sweepRates, summaries));
    if (json != null) report.write(json);
    if (plot != null) Files.writeString(plot, BenchPlots.sweep("paternoster bench: latency vs load, " + t.describe(), sweepRates, summaries));
    printWritten();
    return summaries.stream().allMatch(s -> s.completed() > 0) ? 0 : 1;
  }

  private Integer batched(LlamaModel model, TokenPool tokens, Map<Integer, Float> bias) throws Exception {
    BatchedBench bench = new BatchedBench(model, tokens, bias, engine.pageSize, engine.kvCacheDtype());
    // unmeasured: the full prompt length, so that the measured prefill runs compiled code (a
    // 32-token warm-up left the first 128-token prefill at about two thirds of its speed)
    if (!noWarmup) bench.run(Math.min(2, parallel.getFirst()), inputLen, Math.min(outputLen, 8), seed + 1);
    List<BatchedBench.Result> results = new ArrayList<>();
    for (int n : parallel) {
      if (!quiet) System.err.printf("bench: batched %d x (%d prompt + %d generated) tokens...%n", n, inputLen, outputLen);
      results.add(bench.run(n, inputLen, outputLen, seed));
    }
    out.print(ConsoleReport.batchedBench(results));
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("kind", "engine");
    info.put("model", model.config().name());
    info.put("threads", engine.runtime.threadCount());
    info.put("max_num_batched_tokens", model.maxBatchTokens());
    Report report = new Report("batched-bench", null).setBatchedBench(results, info);
    if (json != null) report.write(json);
    if (plot != null) Files.writeString(plot, BenchPlots.batched("paternoster bench --batched-bench: " + model.config().name(), results));
    printWritten();
    return 0;
  }

  private void finish(Report report, List<RunResult> runs, Workload workload) throws Exception {
    if (json != null) report.write(json);
    if (plot != null) Files.writeString(plot, BenchPlots.serving("paternoster bench: " + workload.describe(), runs));
    printWritten();
  }

  private void printWritten() {
    if (json != null) System.err.println("bench: wrote " + json);
    if (plot != null) System.err.println("bench: wrote " + plot);
  }

  private BenchRunner runner() {
    return new BenchRunner(Duration.ofMillis(250), quiet ? ProgressBar.silent() : ProgressBar.stderr());
  }

  /**
   * A few short unmeasured requests, sent together: JIT compilation of the batched paths, page
   * faults and connection setup happen before timing starts, not in the first requests' TTFT.
   */
  private void warmup(Target t, Workload workload) {
    if (noWarmup) return;
    try (var clients = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      List<java.util.concurrent.Future<RequestRecord>> sent = new ArrayList<>();
      for (int i = 0; i < WARMUP_REQUESTS; i++) {
        RequestSpec r = workload.request(i, 0);
        sent.add(clients.submit(() -> t.send(new RequestSpec(-1 - r.index(), 0, r.promptIds(), Math.min(r.outputTokens(), 16)))));
      }
      for (var f : sent) {
        RequestRecord r = f.get();
        if (!r.succeeded()) System.err.println("bench: warm-up request failed: " + r.error());
      }
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("warm-up failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final int WARMUP_REQUESTS = 4;

  Workload workload(TokenPool tokens, int contextLength) {
    ArrivalProcess arrivals;
    if (requestRate != null) {
      double rate = requestRate.equalsIgnoreCase("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(requestRate);
      arrivals = ArrivalProcess.gamma(rate, burstiness);
    } else {
      // vLLM's default: without a rate every request arrives at once; --concurrency alone = closed loop
      arrivals = concurrency > 0 ? null : ArrivalProcess.immediate();
    }
    if (sweepRates != null && arrivals == null) arrivals = ArrivalProcess.immediate(); // replaced per rate; concurrency caps
    int n = numRequests != null ? numRequests : duration != null ? Integer.MAX_VALUE : 100;
    if (arrivals != null && arrivals.isImmediate() && n == Integer.MAX_VALUE) {
      throw new IllegalArgumentException("--duration needs a --request-rate or --concurrency (an infinite rate needs --num-requests)");
    }
    return new Workload(arrivals, concurrency, n, duration != null ? duration : Double.POSITIVE_INFINITY,
        LengthDistribution.parse(inputDist, inputLen, rangeRatio, sigma, maxInputLen),
        LengthDistribution.parse(outputDist, outputLen, rangeRatio, sigma, maxOutputLen),
        contextLength, tokens, seed);
  }

  EngineConfig engineConfig(Workload workload) {
    EngineConfig.Builder b = engine.builder()
        // The longest request of this workload, so the default KV size fits max-num-seqs of them
        // rather than max-num-seqs full model contexts.
        .maxModelLen(workload.maxRequestTokens())
        .maxQueuedRequests(Math.max(1024, workload.numRequests() == Integer.MAX_VALUE ? 1 << 16 : workload.numRequests()));
    return b.build();
  }

  private TokenPool httpTokens(int reportedVocab) {
    if (tokenizer != null) {
      try (GGUFFile f = GGUFFile.open(tokenizer)) {
        return TokenPool.of(Tokenizers.fromGGUF(f));
      }
    }
    int vocab = vocabSize != null ? vocabSize : reportedVocab;
    if (vocab <= 0) {
      throw new IllegalArgumentException("the server does not report its vocabulary: give --tokenizer MODEL.gguf or --vocab-size N");
    }
    return TokenPool.ofVocabSize(vocab);
  }

  private Map<Integer, Float> byteBias(TokenPool tokens) {
    Map<Integer, Float> bias = new LinkedHashMap<>();
    if (!noByteBias) for (int id : tokens.byteTokenIds()) bias.put(id, -100f);
    return bias;
  }

  static List<EngineConfig.Mode> modes(String list) {
    List<EngineConfig.Mode> modes = new ArrayList<>();
    for (String s : list.split(",")) modes.add(mode(s.strip()));
    if (!modes.contains(EngineConfig.Mode.STATIC) || !modes.contains(EngineConfig.Mode.CONTINUOUS) || modes.size() != 2) {
      throw new IllegalArgumentException("--compare takes static,continuous (in either order), got " + list);
    }
    return modes;
  }

  static EngineConfig.Mode mode(String s) {
    return EngineOptions.mode(s);
  }

  static Duration parseDuration(String s) {
    return EngineOptions.parseDuration(s);
  }

  /** Load tests here may only target this machine: refuse anything but loopback. */
  private static void checkLoopbackOrSaid(URI url) throws Exception {
    String host = url.getHost();
    if (host == null) throw new IllegalArgumentException("--url needs a host, e.g. http://127.0.0.1:8080");
    if (!java.net.InetAddress.getByName(host).isLoopbackAddress() && !Boolean.getBoolean("paternoster.bench.allowRemote")) {
      throw new IllegalArgumentException("--url " + url + " is not a loopback address; benchmarks only load this machine"
          + " (set -Dpaternoster.bench.allowRemote=true to override)");
    }
  }

  private static String rateLabel(double r) {
    return r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r);
  }
}
