package dev.paternoster.tokenizer;

import dev.paternoster.gguf.GGUFFile;

/** Builds the {@link Tokenizer} a GGUF file describes. */
public final class Tokenizers {
  private static final System.Logger LOG = System.getLogger(Tokenizers.class.getName());

  private Tokenizers() {}

  /**
   * The tokenizer for {@code tokenizer.ggml.model}:
   *
   * <ul>
   *   <li>{@code llama}: SentencePiece BPE with byte fallback ({@link SentencePieceTokenizer});
   *   <li>{@code gpt2}: byte-level BPE with the pre-tokenizer named by {@code tokenizer.ggml.pre}
   *       ({@link BytePairTokenizer}); a missing {@code pre} means {@code default}, as in llama.cpp;
   *   <li>{@code bert}: WordPiece for BERT-style embedding models ({@link WordPieceTokenizer}).
   * </ul>
   *
   * @throws IllegalArgumentException for other models or an unknown pre-tokenizer, naming it
   */
  public static Tokenizer fromGGUF(GGUFFile f) {
    String model = f.getString("tokenizer.ggml.model", null);
    if (model == null) throw new IllegalArgumentException(f.path() + ": no tokenizer.ggml.model in the file");
    return switch (model) {
      case "llama" -> new SentencePieceTokenizer(Vocabulary.fromGGUF(f,
          new Vocabulary.Defaults(1, 2, 0, -1, -1, true, false, true)));
      case "gpt2" -> {
        String preName = f.getString("tokenizer.ggml.pre", null);
        if (preName == null || preName.isEmpty()) {
          LOG.log(System.Logger.Level.WARNING, "{0}: no tokenizer.ggml.pre, using the default pre-tokenizer;"
              + " ids may differ from the model's own tokenizer (llama.cpp warns the same)", f.path());
        }
        PreTokenizer pre = PreTokenizer.forName(preName);
        String[] merges = f.getStringArray("tokenizer.ggml.merges");
        if (merges == null) throw new IllegalArgumentException(f.path() + ": byte-level BPE vocabulary without tokenizer.ggml.merges");
        // llama.cpp's BPE defaults: BOS = EOS = 11 (Falcon's <|endoftext|>), no space prefix.
        Vocabulary vocab = Vocabulary.fromGGUF(f,
            new Vocabulary.Defaults(11, 11, -1, -1, -1, pre.addBosByDefault(), false, false));
        yield new BytePairTokenizer(vocab, merges, pre);
      }
      case "bert" -> {
        // llama.cpp's BERT defaults: [CLS] = 101 opens, [SEP] = 102 closes, [UNK] = 100, [PAD] = 0.
        Vocabulary vocab = Vocabulary.fromGGUF(f, new Vocabulary.Defaults(101, -1, 100, 102, 0, true, false, false));
        boolean lowercase = f.getBool("tokenizer.ggml.normalizer.lowercase", true);
        boolean stripAccents = f.getBool("tokenizer.ggml.normalizer.strip_accents", lowercase);
        yield new WordPieceTokenizer(vocab, lowercase, stripAccents);
      }
      default -> throw new IllegalArgumentException("unsupported tokenizer model '" + model + "' (tokenizer.ggml.model)");
    };
  }
}
