package dev.paternoster.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paternoster.engine.Engine;
import dev.paternoster.engine.EngineConfig;
import dev.paternoster.model.KvCacheDtype;
import dev.paternoster.engine.GenerationRequest;
import dev.paternoster.engine.GenerationResult;
import dev.paternoster.engine.SamplingParams;
import dev.paternoster.engine.TokenLogprob;
import dev.paternoster.engine.TokenLogprobs;
import dev.paternoster.model.LlamaModel;
import dev.paternoster.tensor.Parallel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code paternoster generate}: one completion, streamed to stdout, through the same engine the server uses. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Generate a completion for one prompt (text to stdout, logs to stderr).")
public final class GenerateCommand implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, required = true, description = "GGUF model file.")
  Path model;

  @Option(names = {"-p", "--prompt"}, description = "Prompt text (BOS added as the model's metadata says).")
  String prompt;

  @Option(names = "--prompt-ids", split = ",", description = "Prompt as token ids, e.g. 1,403,407 (used as given).")
  int[] promptIds;

  @Option(names = {"-n", "--max-tokens"}, defaultValue = "64", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
  int maxTokens;

  @Option(names = {"-t", "--temperature"}, defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
  float temperature;

  @Option(names = "--top-k", defaultValue = "0", description = "Top-k sampling, 0 = off.")
  int topK;

  @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling threshold.")
  float topP;

  @Option(names = "--seed", description = "Random seed for sampling.")
  Long seed;

  @Option(names = "--ignore-eos", description = "Keep generating past end-of-generation tokens.")
  boolean ignoreEos;

  @Option(names = "--json", description = "Print prompt ids, generated ids, text (and log-probabilities) as JSON.")
  boolean json;

  @Option(names = "--logprobs", description = "With --json: the top-K log-probabilities at each step.")
  Integer logprobs;

  @Mixin RuntimeOptions runtime = new RuntimeOptions();

  @Override
  public Integer call() throws Exception {
    if ((prompt == null) == (promptIds == null)) {
      throw new IllegalArgumentException("give exactly one of --prompt or --prompt-ids");
    }
    Parallel pool = runtime.pool();
    long t0 = System.nanoTime();
    try (LlamaModel m = LlamaModel.load(model, 512, pool, runtime.numerics())) {
      System.err.printf("generate: loaded %s (%s, %d layers, dim %d) in %d ms%n", model.getFileName(),
          m.config().architecture(), m.config().layers(), m.config().dim(), (System.nanoTime() - t0) / 1_000_000);
      int[] ids = promptIds != null ? promptIds : m.tokenizer().encode(prompt, true, false);
      SamplingParams params = SamplingParams.builder()
          .maxTokens(maxTokens).temperature(temperature).topK(topK).topP(topP).seed(seed)
          .ignoreEos(ignoreEos).logprobs(json ? logprobs : null).build();
      KvCacheDtype dtype = runtime.kvCacheDtype();
      long perPage = m.kvBytesPerPage(16, dtype);
      long kvBytes = Math.max(perPage, (ids.length + maxTokens + 16L) / 16 * perPage * 2);
      EngineConfig config = EngineConfig.builder().kvCacheBytes(kvBytes).maxNumSeqs(1).kvCacheDtype(dtype).build();
      PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
      try (Engine engine = Engine.start(m, config)) {
        long start = System.nanoTime();
        GenerationResult r = engine.submit(GenerationRequest.of(ids, params), e -> {
          if (!json && !e.textDelta().isEmpty()) out.print(e.textDelta());
        }).result().join();
        double secs = (System.nanoTime() - start) / 1e9;
        if (json) {
          out.println(toJson(ids, r));
        } else {
          out.println();
        }
        System.err.printf("generate: %d prompt + %d generated tokens in %.2f s (%.1f tok/s), finish: %s%n",
            ids.length, r.completionTokens(), secs, r.completionTokens() / secs, r.choice().finishReason().openAiName());
      }
    }
    return 0;
  }

  private static String toJson(int[] promptIds, GenerationResult r) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = mapper.createObjectNode();
    ArrayNode p = root.putArray("prompt_ids");
    Arrays.stream(promptIds).forEach(p::add);
    ArrayNode g = root.putArray("generated_ids");
    Arrays.stream(r.choice().tokenIds()).forEach(g::add);
    root.put("text", r.choice().text());
    root.put("finish_reason", r.choice().finishReason().openAiName());
    if (r.choice().logprobs() != null && !r.choice().logprobs().isEmpty()) {
      ArrayNode steps = root.putArray("steps");
      for (TokenLogprobs lp : r.choice().logprobs()) {
        ObjectNode s = steps.addObject();
        s.put("id", lp.tokenId());
        s.put("logprob", lp.logprob());
        ArrayNode top = s.putArray("top");
        for (TokenLogprob t : lp.top()) top.addArray().add(t.tokenId()).add(t.logprob());
      }
    }
    return mapper.writeValueAsString(root);
  }
}
