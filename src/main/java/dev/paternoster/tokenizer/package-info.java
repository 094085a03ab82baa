/**
 * Tokenizers built from GGUF metadata, giving the same ids as llama.cpp.
 *
 * <p>{@link dev.paternoster.tokenizer.Tokenizers#fromGGUF} picks the algorithm from
 * {@code tokenizer.ggml.model}: SentencePiece BPE with byte fallback ({@code llama}), byte-level
 * BPE with a regex pre-tokenizer chosen by {@code tokenizer.ggml.pre} ({@code gpt2}), or WordPiece
 * ({@code bert}). Each follows llama.cpp's {@code llama-vocab.cpp} and is checked against llama.cpp's
 * tokenizer test vectors in {@code ../shared}. Choices where llama.cpp or the task left room:
 *
 * <ul>
 *   <li>An unknown {@code tokenizer.ggml.model} or {@code tokenizer.ggml.pre} is an
 *       {@link java.lang.IllegalArgumentException} naming it. A missing {@code pre} means
 *       {@code default} with a warning, as in llama.cpp (current llama.cpp also refuses unknown names).
 *   <li>SentencePiece's dummy space prefix goes before every text piece that starts the input or
 *       follows a special token, as llama.cpp has done since mid-2024 (before that, only the first
 *       piece got it).
 *   <li>{@link dev.paternoster.tokenizer.Tokenizer#decode} is {@code llama_detokenize} with
 *       {@code remove_special=false, unparse_special=false}, minus {@code clean_up_tokenization_spaces}:
 *       see {@code VocabularyTokenizer.decode}. Streaming
 *       ({@link dev.paternoster.tokenizer.StreamingDecoder}) gives the raw token bytes, as llama-server.
 *   <li>Input with unpaired UTF-16 surrogates is tokenized with U+FFFD in their place, as llama.cpp
 *       does with invalid UTF-8.
 * </ul>
 *
 * <p>Known limits: Unicode categories come from the JDK's Unicode version, not llama.cpp's tables,
 * so characters assigned in between may split differently; unassigned code points are matched by
 * the regexes' negated classes where llama.cpp's hand-written GPT-2/Llama-3 splitters leave them
 * alone; Unigram (T5), RWKV and PLaMo-2 vocabularies are not supported.
 */
package dev.paternoster.tokenizer;
