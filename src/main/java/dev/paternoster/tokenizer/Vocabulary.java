package dev.paternoster.tokenizer;

import dev.paternoster.gguf.GGUFFile;
import java.util.BitSet;
import java.util.Map;

/**
 * The token table of a model and the facts about it that tokenizing and detokenizing need: texts,
 * scores, types, the special ids and the BOS/EOS/space-prefix switches. Built once from GGUF
 * metadata by {@link VocabularyLoader}, which follows llama.cpp so that ids agree with it.
 *
 * <p>Immutable; the arrays never leave this class.
 */
public final class Vocabulary {
  /** Defaults that depend on the tokenizer family; GGUF keys override them. */
  record Defaults(int bos, int eos, int unk, int sep, int pad, boolean addBos, boolean addEos, boolean addSpacePrefix) {}

  private final String model;
  private final String[] texts;
  private final float[] scores;
  private final TokenType[] types;
  private final Map<String, Integer> ids;
  private final BitSet lstrip;
  private final BitSet rstrip;
  private final BitSet endOfGeneration;
  private final int[] specialTokensLongestFirst;
  private final int bos;
  private final int eos;
  private final int eot;
  private final int eom;
  private final int unk;
  private final int sep;
  private final int pad;
  private final boolean addBos;
  private final boolean addEos;
  private final boolean addSpacePrefix;

  Vocabulary(VocabularyLoader b) {
    this.model = b.model;
    this.texts = b.texts;
    this.scores = b.scores;
    this.types = b.types;
    this.ids = b.ids;
    this.lstrip = b.lstrip;
    this.rstrip = b.rstrip;
    this.endOfGeneration = b.endOfGeneration;
    this.specialTokensLongestFirst = b.specialTokensLongestFirst;
    this.bos = b.bos;
    this.eos = b.eos;
    this.eot = b.eot;
    this.eom = b.eom;
    this.unk = b.unk;
    this.sep = b.sep;
    this.pad = b.pad;
    this.addBos = b.addBos;
    this.addEos = b.addEos;
    this.addSpacePrefix = b.addSpacePrefix;
  }

  /** Reads {@code tokenizer.ggml.*} from {@code f}; {@code defaults} come from the tokenizer family. */
  static Vocabulary fromGGUF(GGUFFile f, Defaults defaults) {
    return new VocabularyLoader(f, defaults).build();
  }

  /** {@code tokenizer.ggml.model}: {@code llama}, {@code gpt2}, ... */
  public String model() {
    return model;
  }

  public int size() {
    return texts.length;
  }

  public String text(int id) {
    return texts[checkId(id)];
  }

  public float score(int id) {
    return scores[checkId(id)];
  }

  public TokenType type(int id) {
    return types[checkId(id)];
  }

  /** The id whose text is exactly {@code text}, or -1. */
  public int id(String text) {
    Integer id = ids.get(text);
    return id == null ? -1 : id;
  }

  public int bos() {
    return bos;
  }

  public int eos() {
    return eos;
  }

  /** End-of-turn id ({@code <|eot_id|>}, {@code <|im_end|>}, ...), or -1. */
  public int eot() {
    return eot;
  }

  /** End-of-message id ({@code <|eom_id|>}), or -1. */
  public int eom() {
    return eom;
  }

  public int unk() {
    return unk;
  }

  public int sep() {
    return sep;
  }

  public int pad() {
    return pad;
  }

  public boolean addBos() {
    return addBos;
  }

  public boolean addEos() {
    return addEos;
  }

  /** SentencePiece's dummy prefix: a space is put before text that starts the input or follows a special token. */
  public boolean addSpacePrefix() {
    return addSpacePrefix;
  }

  public boolean isEndOfGeneration(int id) {
    return id >= 0 && endOfGeneration.get(id);
  }

  /** Whitespace to the left of this special token is dropped when it is split out of text. */
  boolean stripsLeft(int id) {
    return lstrip.get(id);
  }

  /** Whitespace to the right of this special token is dropped when it is split out of text. */
  boolean stripsRight(int id) {
    return rstrip.get(id);
  }

  /** Control, user-defined and unknown tokens, longest text (in UTF-8 bytes) first: the split order. */
  int[] specialTokensLongestFirst() {
    return specialTokensLongestFirst;
  }

  private int checkId(int id) {
    if (id < 0 || id >= texts.length) {
      throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (texts.length - 1) + ")");
    }
    return id;
  }
}
