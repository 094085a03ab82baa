package dev.paternoster.engine;

import dev.paternoster.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * The output side of one choice: decoded text, what of it has been streamed, stop decisions,
 * log-probabilities and token timestamps. Turns each sampled token into one {@link TokenEvent}.
 */
final class ChoiceOutput {
  final int index;
  private final Detokenizer detokenizer;
  private final StopChecker stopChecker;
  private final StringBuilder text = new StringBuilder();
  /** Characters of {@link #text} already streamed. */
  private int emitted;

  private final List<TokenLogprobs> logprobs;
  private FinishReason finishReason;
  private String stopReason;
  long firstTokenNanos;
  long lastTokenNanos;

  ChoiceOutput(int index, Tokenizer tokenizer, SamplingParams params) {
    this.index = index;
    this.detokenizer = new Detokenizer(tokenizer);
    this.stopChecker = new StopChecker(tokenizer, params);
    this.logprobs = params.logprobs() == null ? null : new ArrayList<>();
  }

  /** Accounts the token (already appended to the sequence as its {@code numOutput}-th output). */
  TokenEvent onToken(Sample sample, int numOutput, long now) {
    if (firstTokenNanos == 0) firstTokenNanos = now;
    lastTokenNanos = now;
    int token = sample.token();
    if (logprobs != null) logprobs.add(new TokenLogprobs(token, sample.logprob(), sample.top()));

    StopChecker.Stop stop = stopChecker.checkToken(token, numOutput);
    if (stop == null) {
      int oldLen = text.length();
      detokenizer.append(token, text);
      stop = stopChecker.checkText(text, oldLen, emitted, numOutput);
    }
    int end;
    if (stop == null) {
      end = text.length() - stopChecker.holdBack(text, emitted);
    } else {
      finishReason = stop.reason();
      stopReason = stop.stopReason();
      if (stop.textEnd() >= 0) {
        text.setLength(stop.textEnd());
      } else {
        detokenizer.flush(text);
      }
      end = text.length();
    }
    String delta = emit(end);
    return new TokenEvent(index, token, delta, sample.logprob(), sample.top(), finishReason, stopReason);
  }

  /** Ends the choice without a token (abort, error): streams the held-back text with the reason. */
  TokenEvent end(FinishReason reason, String message) {
    finishReason = reason;
    stopReason = message;
    detokenizer.flush(text);
    return new TokenEvent(index, -1, emit(text.length()), Float.NaN, null, reason, message);
  }

  boolean isFinished() {
    return finishReason != null;
  }

  FinishReason finishReason() {
    return finishReason;
  }

  Choice toChoice(int[] tokenIds) {
    return new Choice(index, text.toString(), tokenIds, logprobs == null ? null : List.copyOf(logprobs), finishReason, stopReason);
  }

  private String emit(int end) {
    if (end <= emitted) return "";
    String delta = text.substring(emitted, end);
    emitted = end;
    return delta;
  }
}
