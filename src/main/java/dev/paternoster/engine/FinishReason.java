package dev.paternoster.engine;

/** Why a choice stopped generating. */
public enum FinishReason {
  /** An end-of-generation token, a {@code stop_token_ids} token or a {@code stop} string. */
  STOP("stop"),
  /** {@code max_tokens} reached (or the context is full). */
  LENGTH("length"),
  /** Aborted: {@link RequestHandle#abort()}, a listener that threw, or engine shutdown. */
  ABORT("abort"),
  /** The forward step that carried this request failed; other requests go on. */
  ERROR("error");

  private final String openAiName;

  FinishReason(String openAiName) {
    this.openAiName = openAiName;
  }

  /** The {@code finish_reason} string of the OpenAI API. */
  public String openAiName() {
    return openAiName;
  }
}
