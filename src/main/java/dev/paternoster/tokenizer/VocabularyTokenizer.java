package dev.paternoster.tokenizer;

import java.io.ByteArrayOutputStream;

/**
 * What every tokenizer family shares: special-token splitting, BOS/EOS, the per-token byte pieces
 * and detokenization. Subclasses only turn a piece of plain text into ids and say how a normal
 * token's text becomes bytes.
 */
abstract sealed class VocabularyTokenizer implements Tokenizer
    permits SentencePieceTokenizer, BytePairTokenizer, WordPieceTokenizer {
  private static final byte[] NOTHING = new byte[0];

  protected final Vocabulary vocab;
  private final SpecialTokenSplitter splitter;
  /** The bytes of every token, computed once like llama.cpp's token-to-piece cache. */
  private final byte[][] pieces;

  VocabularyTokenizer(Vocabulary vocab) {
    this.vocab = vocab;
    this.splitter = new SpecialTokenSplitter(vocab);
    this.pieces = new byte[vocab.size()][];
    for (int id = 0; id < pieces.length; id++) pieces[id] = piece(id);
  }

  /** Appends the ids of {@code text}, which contains no special tokens. */
  protected abstract void encodeText(String text, boolean afterSpecial, IntList out);

  /** The bytes a NORMAL token stands for. */
  protected abstract byte[] normalTokenBytes(String text);

  /** The bytes of a BYTE token such as {@code <0x0A>}. */
  private static byte[] byteTokenBytes(String text) {
    if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
      return new byte[] {(byte) Integer.parseInt(text.substring(3, 5), 16)};
    }
    return Utf8.bytes(text); // malformed byte token: show its text rather than fail
  }

  private byte[] piece(int id) {
    String text = vocab.text(id);
    return switch (vocab.type(id)) {
      case NORMAL -> normalTokenBytes(text);
      case BYTE -> byteTokenBytes(text);
      case USER_DEFINED -> Utf8.bytes(text);
      // Control and unknown tokens are markup, unused and undefined ones never occur in text.
      case CONTROL, UNKNOWN, UNUSED, UNDEFINED -> NOTHING;
    };
  }

  @Override
  public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
    IntList out = new IntList(text.length() / 3 + 4);
    if (addSpecial) addPrefixTokens(out);
    for (SpecialTokenSplitter.Fragment fragment : splitter.split(Utf8.withoutLoneSurrogates(text), parseSpecial)) {
      switch (fragment) {
        case SpecialTokenSplitter.Token t -> out.add(t.id());
        case SpecialTokenSplitter.Text t -> encodeText(t.text(), t.afterSpecial(), out);
      }
    }
    if (addSpecial) addSuffixTokens(out);
    return out.toArray();
  }

  /** BOS when the vocabulary asks for it. */
  protected void addPrefixTokens(IntList out) {
    if (vocab.addBos()) out.add(vocab.bos());
  }

  /** EOS when the vocabulary asks for it. */
  protected void addSuffixTokens(IntList out) {
    if (vocab.addEos()) out.add(vocab.eos());
  }

  /**
   * Joins the pieces and decodes UTF-8, like {@code llama_detokenize(remove_special=false,
   * unparse_special=false)}: control tokens give nothing, and with SentencePiece's space prefix the
   * first token loses one leading space (the one encoding added). Because the rule looks only at
   * the first token, a leading BOS uses it up: {@code decode([BOS, ▁Hello])} is {@code " Hello"},
   * exactly as in llama.cpp.
   *
   * <p>Unlike llama.cpp we never apply {@code clean_up_tokenization_spaces} (which turns
   * {@code " ,"} into {@code ","} for some BPE vocabularies): decoding stays lossless and equals
   * the concatenation of {@link #tokenBytes} that streaming sends, as llama-server's streamed text does.
   */
  @Override
  public String decode(int[] ids) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
    boolean removeLeadingSpace = vocab.addSpacePrefix();
    for (int id : ids) {
      byte[] p = pieces[checkId(id)];
      int skip = removeLeadingSpace && p.length > 0 && p[0] == ' ' ? 1 : 0;
      bytes.write(p, skip, p.length - skip);
      removeLeadingSpace = false;
    }
    byte[] all = bytes.toByteArray();
    return Utf8.decode(all, 0, all.length);
  }

  @Override
  public byte[] tokenBytes(int id) {
    return pieces[checkId(id)].clone();
  }

  private int checkId(int id) {
    if (id < 0 || id >= pieces.length) {
      throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (pieces.length - 1) + ")");
    }
    return id;
  }

  @Override
  public String tokenText(int id) {
    return vocab.text(id);
  }

  @Override
  public int vocabSize() {
    return vocab.size();
  }

  @Override
  public int bosId() {
    return vocab.bos();
  }

  @Override
  public int eosId() {
    return vocab.eos();
  }

  @Override
  public boolean isEndOfGeneration(int id) {
    return vocab.isEndOfGeneration(id);
  }

  /** Control and unknown tokens: the ones that render as nothing. */
  @Override
  public boolean isSpecial(int id) {
    TokenType t = vocab.type(id);
    return t == TokenType.CONTROL || t == TokenType.UNKNOWN;
  }

  @Override
  public boolean addsBos() {
    return vocab.addBos();
  }

  /** The vocabulary behind this tokenizer. */
  public Vocabulary vocabulary() {
    return vocab;
  }
}
