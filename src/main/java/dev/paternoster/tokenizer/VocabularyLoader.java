package dev.paternoster.tokenizer;

import dev.paternoster.gguf.GGUFFile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@link Vocabulary} from {@code tokenizer.ggml.*}, step by step in the order of llama.cpp's
 * {@code llama_vocab::load}, because later steps read what earlier ones decided: the special ids,
 * then the fix-ups of badly converted files (end-of-generation tokens not marked as control), the
 * split order of special tokens, and the per-model whitespace stripping around them.
 */
final class VocabularyLoader {
  /** Token texts that end generation when present (llama.cpp's list, matched exactly). */
  private static final Set<String> END_OF_GENERATION_TEXTS = Set.of(
      "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
      "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
      "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
      "<｜end▁of▁sentence｜>", "[e~[");

  /** Texts that identify the end-of-turn token when {@code eot_token_id} is absent. */
  private static final List<String> END_OF_TURN_TEXTS = List.of(
      "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
      "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>");

  /** Fill-in-the-middle pad / repo / file-separator tokens: llama.cpp stops generation on them too. */
  private static final List<String> FIM_PAD_TEXTS = List.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]");
  private static final List<String> FIM_REPO_TEXTS = List.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>");
  private static final List<String> FIM_SEP_TEXTS = List.of("<|file_sep|>");

  private static final System.Logger LOG = System.getLogger(VocabularyLoader.class.getName());

  private final GGUFFile f;
  final String model;
  final String[] texts;
  final float[] scores;
  final TokenType[] types;
  final Map<String, Integer> ids;
  final BitSet lstrip = new BitSet();
  final BitSet rstrip = new BitSet();
  final BitSet endOfGeneration = new BitSet();
  int[] specialTokensLongestFirst;
  int bos, eos, eot = -1, eom = -1, unk, sep, pad;
  private int fimPad = -1, fimRepo = -1, fimSep = -1;
  boolean addBos, addEos, addSpacePrefix;

  VocabularyLoader(GGUFFile f, Vocabulary.Defaults d) {
    this.f = f;
    this.model = f.getString("tokenizer.ggml.model", "");
    String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
    if (tokens == null) throw new IllegalArgumentException(f.path() + ": no tokenizer.ggml.tokens in the file");
    int n = tokens.length;
    texts = tokens.clone();
    float[] s = f.getFloatArray("tokenizer.ggml.scores");
    if (s != null && s.length < n) throw new IllegalArgumentException(f.path() + ": fewer scores (" + s.length + ") than tokens (" + n + ")");
    scores = s != null ? Arrays.copyOf(s, n) : new float[n];
    int[] t = f.getIntArray("tokenizer.ggml.token_type");
    if (t != null && t.length < n) throw new IllegalArgumentException(f.path() + ": fewer token types (" + t.length + ") than tokens (" + n + ")");
    types = new TokenType[n];
    for (int i = 0; i < n; i++) types[i] = t != null ? TokenType.fromCode(t[i]) : TokenType.NORMAL;

    ids = HashMap.newHashMap(n);
    for (int i = 0; i < n; i++) {
      if (texts[i].isEmpty()) texts[i] = "[EMPTY_" + i + "]"; // llama.cpp's placeholder keeps ids unique
      Integer previous = ids.putIfAbsent(texts[i], i);
      if (previous != null) {
        throw new IllegalArgumentException(f.path() + ": duplicate token '" + texts[i] + "' has ids " + previous + " and " + i);
      }
    }

    bos = inRange(d.bos());
    eos = inRange(d.eos());
    unk = inRange(d.unk());
    sep = inRange(d.sep());
    pad = inRange(d.pad());
    addBos = d.addBos();
    addEos = d.addEos();
    addSpacePrefix = f.getBool("tokenizer.ggml.add_space_prefix", d.addSpacePrefix());
  }

  Vocabulary build() {
    bos = specialId("tokenizer.ggml.bos_token_id", bos);
    eos = specialId("tokenizer.ggml.eos_token_id", eos);
    eot = specialId("tokenizer.ggml.eot_token_id", eot);
    eom = specialId("tokenizer.ggml.eom_token_id", eom);
    unk = specialId("tokenizer.ggml.unknown_token_id", unk);
    sep = specialId("tokenizer.ggml.seperator_token_id", sep); // sic: the GGUF key is misspelt
    pad = specialId("tokenizer.ggml.padding_token_id", pad);
    fimPad = specialId("tokenizer.ggml.fim_pad_token_id", fimPad);
    fimRepo = specialId("tokenizer.ggml.fim_rep_token_id", fimRepo);
    fimSep = specialId("tokenizer.ggml.fim_sep_token_id", fimSep);
    addBos = f.getBool("tokenizer.ggml.add_bos_token", addBos);
    addEos = f.getBool("tokenizer.ggml.add_eos_token", addEos);
    if (addBos && bos < 0) throw new IllegalArgumentException(f.path() + ": add_bos_token is true but there is no BOS token");
    if (addEos && eos < 0) throw new IllegalArgumentException(f.path() + ": add_eos_token is true but there is no EOS token");

    detectByText();
    collectEndOfGeneration();
    // gpt-oss wants these rendered as text although they are special (llama.cpp does the same).
    for (String s : List.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>")) {
      Integer id = ids.get(s);
      if (id != null) types[id] = TokenType.USER_DEFINED;
    }
    specialTokensLongestFirst = sortSpecialTokens();
    applyStripRules();
    return new Vocabulary(this);
  }

  private int inRange(int id) {
    return id >= 0 && id < texts.length ? id : -1;
  }

  /** The id under {@code key}; a missing key keeps {@code fallback}, an out-of-range one is ignored with a warning. */
  private int specialId(String key, int fallback) {
    if (!(f.get(key) instanceof Number num)) return fallback;
    long id = num.longValue();
    if (id < 0 || id >= texts.length) {
      // stories260K stores 0xFFFFFFFF for "none"; llama.cpp warns and keeps its default.
      LOG.log(System.Logger.Level.DEBUG, "{0}: {1} = {2} is outside the vocabulary, using {3}", f.path(), key, id, fallback);
      return fallback;
    }
    return (int) id;
  }

  /** Finds EOT/EOM/FIM tokens by their text when the file does not name them, and makes them control tokens. */
  private void detectByText() {
    for (int id = 0; id < texts.length; id++) {
      String s = texts[id];
      if (eot < 0 && END_OF_TURN_TEXTS.contains(s)) eot = markControl(id);
      if (eom < 0 && s.equals("<|eom_id|>")) eom = markControl(id);
      if (fimPad < 0 && FIM_PAD_TEXTS.contains(s)) fimPad = markControl(id);
      if (fimRepo < 0 && FIM_REPO_TEXTS.contains(s)) fimRepo = markControl(id);
      if (fimSep < 0 && FIM_SEP_TEXTS.contains(s)) fimSep = markControl(id);
    }
  }

  private int markControl(int id) {
    // Some converters leave these NORMAL; llama.cpp overrides the type so they never render as text
    // and are only parsed from text when special tokens are asked for.
    types[id] = TokenType.CONTROL;
    return id;
  }

  private void collectEndOfGeneration() {
    for (int id : new int[] {fimPad, fimRepo, fimSep}) if (id >= 0) endOfGeneration.set(id);
    for (int id = 0; id < texts.length; id++) {
      if (END_OF_GENERATION_TEXTS.contains(texts[id])) {
        endOfGeneration.set(id);
        markControl(id);
      }
    }
    for (int id : new int[] {eos, eot, eom}) if (id >= 0) endOfGeneration.set(id);

    // o200k_harmony (gpt-oss) and solar-open use <|end|> between messages, not at the end of a turn.
    boolean hasReturn = hasEog("<|return|>"), hasCall = hasEog("<|call|>") || hasEog("<|calls|>");
    boolean hasFlush = hasEog("<|flush|>");
    Integer end = ids.get("<|end|>");
    if (end != null && endOfGeneration.get(end) && hasCall && (hasReturn || hasFlush)) {
      endOfGeneration.clear(end);
      types[end] = TokenType.USER_DEFINED;
    }
    // Gemma 4 and PaddleOCR use </s> inside turns.
    Integer closeS = ids.get("</s>");
    if (closeS != null && endOfGeneration.get(closeS) && hasEog("<|tool_response>")) {
      endOfGeneration.clear(closeS);
      types[closeS] = TokenType.NORMAL;
    }
  }

  private boolean hasEog(String text) {
    Integer id = ids.get(text);
    return id != null && endOfGeneration.get(id);
  }

  private int[] sortSpecialTokens() {
    List<Integer> special = new ArrayList<>();
    for (int id = 0; id < texts.length; id++) {
      TokenType t = types[id];
      if (t == TokenType.CONTROL || t == TokenType.USER_DEFINED || t == TokenType.UNKNOWN) special.add(id);
    }
    int[] byteLength = new int[texts.length];
    for (int id : special) byteLength[id] = Utf8.bytes(texts[id]).length;
    special.sort(Comparator.comparingInt((Integer id) -> -byteLength[id]).thenComparingInt(id -> id));
    return special.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Per-model whitespace stripping around special tokens. GGUF does not carry these attributes;
   * llama.cpp sets them by model name, and so do we: Phi-3 drops whitespace after its special
   * tokens, some BERT variants drop it before {@code <mask>}.
   */
  private void applyStripRules() {
    String name = f.getString("general.name", "").toLowerCase(Locale.ROOT);
    String pre = f.getString("tokenizer.ggml.pre", "");
    String arch = f.getString("general.architecture", "");
    if (pre.contains("jina-v2-de") || pre.contains("jina-v2-es") || pre.contains("jina-v2-code")
        || arch.contains("nomic-bert-moe") || arch.contains("jina-bert-v3")) {
      Integer mask = ids.get("<mask>");
      if (mask != null) lstrip.set(mask);
    } else if (name.contains("phi-3") || name.contains("phi3")) {
      for (int id : specialTokensLongestFirst) rstrip.set(id);
      Integer closeS = ids.get("</s>");
      if (closeS != null) rstrip.set(closeS);
      for (String s : List.of("<unk>", "<s>", "<|endoftext|>")) {
        Integer id = ids.get(s);
        if (id != null) rstrip.clear(id);
      }
    } else if (name.contains("modern-bert")) {
      Integer mask = ids.get("[MASK]");
      if (mask != null) lstrip.set(mask);
    }
  }
}
