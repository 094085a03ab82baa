package dev.paternoster.tokenizer;

/**
 * The kind of a vocabulary entry, as {@code tokenizer.ggml.token_type} stores it (the numbering of
 * SentencePiece's {@code ModelProto.SentencePiece.Type}, which llama.cpp's converters copy).
 */
public enum TokenType {
  /** Missing or out-of-range code: llama.cpp treats it like a control token that renders nothing. */
  UNDEFINED,
  NORMAL,
  UNKNOWN,
  /** Markup such as BOS/EOS or {@code <|im_start|>}: never produced from plain text, renders nothing. */
  CONTROL,
  /** Added text that must stay one token ({@code <|end|>} in Phi-3, runs of spaces in GPT-NeoX). */
  USER_DEFINED,
  UNUSED,
  /** SentencePiece byte fallback {@code <0xXX>}. */
  BYTE;

  /** The enum for a GGUF code; unknown codes map to {@link #UNDEFINED} like llama.cpp does. */
  public static TokenType fromCode(int code) {
    return switch (code) {
      case 1 -> NORMAL;
      case 2 -> UNKNOWN;
      case 3 -> CONTROL;
      case 4 -> USER_DEFINED;
      case 5 -> UNUSED;
      case 6 -> BYTE;
      default -> UNDEFINED;
    };
  }
}
