package dev.paternoster.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words before byte-level BPE, with the regex list llama.cpp uses for the
 * vocabulary's {@code tokenizer.ggml.pre}. The regexes run one after another: each splits every
 * piece the previous one produced, and the text between matches stays a piece of its own.
 *
 * <p>The expressions are llama.cpp's, translated to {@link java.util.regex}: {@code \s} becomes
 * the Unicode White_Space property (llama.cpp maps non-ASCII whitespace onto {@code \v} so that its
 * ASCII {@code \s} sees it; Java's plain {@code \s} would miss it), {@code $} becomes {@code \z}
 * (ECMAScript {@code $} does not match before a final newline, Java's does), and non-ASCII
 * characters are written as code point escapes because several of them (Ω U+2126, K U+212A)
 * would silently turn into other letters under Unicode normalization of the source.
 */
final class PreTokenizer {
  private static final String GPT2 =
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
  private static final String LLAMA3 =
      "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
          + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  private static final String QWEN2 =
      "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
          + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  private static final String QWEN35 =
      "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}"
          + "| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  /** CJK ideographs, everything from U+0800 to U+4E00, and Hangul: kept as runs by the DeepSeek pre-tokenizers. */
  private static final String DEEPSEEK_CJK = "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+";
  /** The cased letters DeepSeek LLM's tokenizer.json lists (its own fixed list, not the current \p{LC}). */
  private static final String DEEPSEEK_LETTERS =
      "A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}"
          + "\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}"
          + "\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}"
          + "\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}"
          + "\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}"
          + "\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}"
          + "\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}"
          + "\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}"
          + "\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}"
          + "\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}"
          + "\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}"
          + "\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}"
          + "\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}";
  /** Mistral's Tekken and GPT-4o: llama.cpp's rewrite of \p{Lu}-style classes as "letter but not a-z / A-Z". */
  private static final String TEKKEN =
      "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*"
          + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  private static final String CONTRACTION = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?";
  private static final String GPT4O =
      "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+" + CONTRACTION
          + "|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*" + CONTRACTION
          + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  private static final String BLOOM = " ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+";

  private final String name;
  private final List<Pattern> patterns;
  private final boolean ignoreMerges;
  private final boolean addBosByDefault;

  private PreTokenizer(String name, boolean ignoreMerges, boolean addBosByDefault, String... regexes) {
    this.name = name;
    this.ignoreMerges = ignoreMerges;
    this.addBosByDefault = addBosByDefault;
    List<Pattern> compiled = new ArrayList<>(regexes.length);
    for (String r : regexes) compiled.add(Pattern.compile(toJava(r)));
    this.patterns = List.copyOf(compiled);
  }

  /**
   * The pre-tokenizer for {@code tokenizer.ggml.pre}. A missing value means {@code default} (as in
   * llama.cpp, which warns that quality suffers); a value we do not know is an error rather than a
   * silent fallback, because a wrong split gives plausible-looking but different ids.
   */
  static PreTokenizer forName(String pre) {
    String p = pre == null || pre.isEmpty() ? "default" : pre.toLowerCase(Locale.ROOT);
    return switch (p) {
      case "default" -> new PreTokenizer(p, false, false,
          "[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]");
      case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano" ->
          new PreTokenizer(p, true, true, LLAMA3);
      case "dbrx", "smaug-bpe" -> new PreTokenizer(p, false, false, LLAMA3);
      case "glm4", "chatglm-bpe" -> new PreTokenizer(p, false, false, LLAMA3);
      case "deepseek-llm" -> new PreTokenizer(p, false, false,
          "[\\r\\n]", "\\s?[" + DEEPSEEK_LETTERS + "]+",
          "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+",
          "\\s+$", DEEPSEEK_CJK, "\\p{N}+");
      case "deepseek-coder" -> new PreTokenizer(p, false, false,
          "[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", DEEPSEEK_CJK, "\\p{N}");
      case "deepseek-v3", "hunyuan-dense", "joyai-llm", "hy_v4" -> new PreTokenizer(p, false, false,
          "\\p{N}{1,3}", "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
          "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
              + "| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
      case "falcon" -> new PreTokenizer(p, false, false,
          "[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]");
      case "gpt-2", "mpt", "olmo", "jais", "trillion", "granite-docling", "phi-2", "jina-es", "jina-de", "gigachat",
           "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum", "modern-bert", "exaone4", "jina-v1-en", "jina-v2-code",
           "roberta-bpe" -> new PreTokenizer(p, false, false, GPT2);
      case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2" ->
          new PreTokenizer(p, false, false, "\\p{N}", GPT2);
      case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open", "grok-2" ->
          new PreTokenizer(p, false, false, QWEN2);
      case "qwen35" -> new PreTokenizer(p, false, false, QWEN35);
      case "poro-chat", "bloom", "gpt3-finnish" -> new PreTokenizer(p, false, false, BLOOM);
      case "viking" -> new PreTokenizer(p, false, false, BLOOM, "\\p{N}");
      case "tekken" -> new PreTokenizer(p, true, true, TEKKEN);
      case "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2" -> new PreTokenizer(p, false, false, GPT4O);
      case "chameleon" -> new PreTokenizer(p, false, true,
          "<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )", "\\p{N}",
          "[\\p{P}!-/:-@\\[-`{-~]", GPT2);
      case "seed-coder" -> new PreTokenizer(p, false, false,
          "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}"
              + "| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
      default -> throw new IllegalArgumentException("unsupported pre-tokenizer '" + pre + "' (tokenizer.ggml.pre)");
    };
  }

  String name() {
    return name;
  }

  /** Whole words that are vocabulary entries skip the merges (Llama 3: tiktoken never merges those apart). */
  boolean ignoreMerges() {
    return ignoreMerges;
  }

  /** Families whose llama.cpp default is to add BOS when the file does not say. */
  boolean addBosByDefault() {
    return addBosByDefault;
  }

  /** The words of {@code text}: matches and the gaps between them, in order, none empty. */
  List<String> split(String text) {
    List<String> pieces = new ArrayList<>();
    if (!text.isEmpty()) pieces.add(text);
    for (Pattern pattern : patterns) {
      List<String> next = new ArrayList<>(pieces.size() * 2);
      for (String piece : pieces) {
        Matcher m = pattern.matcher(piece);
        int last = 0;
        while (m.find()) {
          if (m.start() > last) next.add(piece.substring(last, m.start()));
          if (m.end() > m.start()) next.add(piece.substring(m.start(), m.end()));
          last = m.end();
        }
        if (last < piece.length()) next.add(piece.substring(last));
      }
      pieces = next;
    }
    return pieces;
  }

  /** Rewrites llama.cpp's (ECMAScript-flavoured) regex for java.util.regex; see the class comment. */
  static String toJava(String regex) {
    StringBuilder out = new StringBuilder(regex.length() + 32);
    boolean inClass = false;
    for (int i = 0; i < regex.length(); i++) {
      char c = regex.charAt(i);
      if (c == '\\' && i + 1 < regex.length()) {
        char e = regex.charAt(++i);
        switch (e) {
          case 's' -> out.append("\\p{IsWhite_Space}");
          case 'S' -> out.append("\\P{IsWhite_Space}");
          default -> out.append(c).append(e);
        }
        continue;
      }
      if (c == '[' && !inClass) inClass = true;
      else if (c == ']' && inClass) inClass = false;
      else if (c == '$' && !inClass) {
        out.append("\\z");
        continue;
      }
      out.append(c);
    }
    return out.toString();
  }
}
