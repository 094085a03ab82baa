package dev.paternoster.cli;

import dev.paternoster.engine.EngineConfig;
import dev.paternoster.model.KvCacheDtype;
import dev.paternoster.model.Numerics;
import dev.paternoster.tensor.Parallel;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The engine's options, shared by {@code serve} and {@code bench} (a picocli mixin) so that both
 * spell, default and parse them the same way.
 */
final class EngineOptions {
  @Option(names = "--batching", defaultValue = "continuous",
      description = "continuous (sequences join and leave every step) or static (request-level baseline) (default: ${DEFAULT-VALUE}).")
  String batching;

  @Option(names = "--max-num-seqs", defaultValue = "64", description = "Most sequences in one step (default: ${DEFAULT-VALUE}).")
  int maxNumSeqs;

  @Option(names = "--max-num-batched-tokens", defaultValue = "512",
      description = "Token budget of one step: decode tokens plus prefill chunks (default: ${DEFAULT-VALUE}).")
  int maxNumBatchedTokens;

  @Option(names = "--kv-cache-memory", converter = ByteSize.class, paramLabel = "SIZE",
      description = "Memory for the KV cache, e.g. 512m, 2g (default: enough for max-num-seqs of the longest requests, at most half the free memory).")
  Long kvCacheMemory;

  @Option(names = "--page-size", defaultValue = "16", description = "Token positions per KV page (default: ${DEFAULT-VALUE}).")
  int pageSize;

  @Option(names = "--max-wait", defaultValue = "0", converter = DurationConverter.class, paramLabel = "TIME",
      description = "When idle, hold the first arrival this long to gather a fuller batch; the batch window in static mode; e.g. 10ms, 0.5s, a bare number is ms (default: ${DEFAULT-VALUE}).")
  Duration maxWait;

  @Option(names = "--max-batch-size", defaultValue = "8", description = "Requests per batch with --batching static (default: ${DEFAULT-VALUE}).")
  int maxBatchSize;

  @Option(names = "--no-prefix-caching", description = "Do not reuse KV pages of identical prompt prefixes.")
  boolean noPrefixCaching;

  @Mixin RuntimeOptions runtime = new RuntimeOptions();

  /** A builder with every option here applied; the caller adds what is its own. */
  EngineConfig.Builder builder() {
    EngineConfig.Builder b = EngineConfig.builder()
        .mode(mode(batching))
        .maxNumSeqs(maxNumSeqs)
        .maxNumBatchedTokens(maxNumBatchedTokens)
        .kvCacheDtype(kvCacheDtype())
        .pageSize(pageSize)
        .maxWait(maxWait)
        .maxBatchSize(maxBatchSize)
        .enablePrefixCaching(!noPrefixCaching);
    if (kvCacheMemory != null) b.kvCacheBytes(kvCacheMemory);
    return b;
  }

  KvCacheDtype kvCacheDtype() {
    return runtime.kvCacheDtype();
  }

  Numerics numerics() {
    return runtime.numerics();
  }

  Parallel pool() {
    return runtime.pool();
  }

  static EngineConfig.Mode mode(String s) {
    return switch (s.strip().toLowerCase(Locale.ROOT)) {
      case "continuous", "iteration" -> EngineConfig.Mode.CONTINUOUS;
      case "static", "request" -> EngineConfig.Mode.STATIC;
      default -> throw new IllegalArgumentException("--batching must be continuous or static, got '" + s + "'");
    };
  }

  private static final Pattern DURATION = Pattern.compile("(?i)\\s*([0-9.]+)\\s*(ms|s|us)?\\s*");

  /** {@code 10ms}, {@code 0.5s}, {@code 250us}; a bare number is milliseconds. */
  static Duration parseDuration(String s) {
    Matcher m = DURATION.matcher(s);
    if (!m.matches()) throw new IllegalArgumentException("cannot read duration '" + s + "' (e.g. 10ms, 0.5s)");
    double v;
    try {
      v = Double.parseDouble(m.group(1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("cannot read duration '" + s + "' (e.g. 10ms, 0.5s)");
    }
    String unit = m.group(2) == null ? "ms" : m.group(2).toLowerCase(Locale.ROOT);
    double nanos = switch (unit) {
      case "s" -> v * 1e9;
      case "us" -> v * 1e3;
      default -> v * 1e6;
    };
    return Duration.ofNanos((long) nanos);
  }

  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return parseDuration(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
