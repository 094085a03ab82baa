package dev.paternoster.engine;

import dev.paternoster.tokenizer.Tokenizer;
import java.util.List;
import java.util.Set;

/**
 * Decides when a choice ends: end-of-generation tokens (unless ignore_eos), stop_token_ids, stop
 * strings on the decoded text, max_tokens; none of them before min_tokens. Also tells how much text
 * must be held back because it could be the beginning of a stop string.
 */
final class StopChecker {
  /** What ended a choice; {@code textEnd} is where the output text is cut (stop string start). */
  record Stop(FinishReason reason, String stopReason, boolean stopToken, int textEnd) {}

  private final Tokenizer tokenizer;
  private final SamplingParams params;
  private final List<String> stops;
  private final Set<Integer> stopIds;
  private final int maxStopLen;

  StopChecker(Tokenizer tokenizer, SamplingParams params) {
    this.tokenizer = tokenizer;
    this.params = params;
    this.stops = params.stop();
    this.stopIds = params.stopTokenIds();
    int m = 0;
    for (String s : stops) m = Math.max(m, s.length());
    this.maxStopLen = m;
  }

  /** Whether {@code token} ends the choice as a token (it then adds no text). */
  Stop checkToken(int token, int numOutput) {
    if (numOutput < params.minTokens()) return null;
    if (!params.ignoreEos() && tokenizer.isEndOfGeneration(token)) {
      return new Stop(FinishReason.STOP, null, true, -1);
    }
    if (stopIds.contains(token)) return new Stop(FinishReason.STOP, Integer.toString(token), true, -1);
    return null;
  }

  /**
   * Looks for a stop string that may have been completed by the text added since {@code oldLen},
   * and for max_tokens.
   */
  Stop checkText(StringBuilder text, int oldLen, int emitted, int numOutput) {
    if (numOutput >= params.minTokens() && maxStopLen > 0) {
      int from = Math.max(emitted, oldLen - maxStopLen + 1);
      int best = -1;
      String matched = null;
      for (String s : stops) {
        int at = text.indexOf(s, from);
        if (at >= 0 && (best < 0 || at < best)) {
          best = at;
          matched = s;
        }
      }
      if (matched != null) return new Stop(FinishReason.STOP, matched, false, best);
    }
    if (numOutput >= params.maxTokens()) return new Stop(FinishReason.LENGTH, null, false, -1);
    return null;
  }

  /** Characters at the end of {@code text} (after {@code emitted}) that could begin a stop string. */
  int holdBack(CharSequence text, int emitted) {
    if (maxStopLen == 0) return 0;
    int n = text.length();
    int hold = 0;
    for (String s : stops) {
      for (int len = Math.min(s.length() - 1, n - emitted); len > hold; len--) {
        if (endsWith(text, s, len)) {
          hold = len;
          break;
        }
      }
    }
    return hold;
  }

  private static boolean endsWith(CharSequence text, String stop, int len) {
    int off = text.length() - len;
    for (int i = 0; i < len; i++) if (text.charAt(off + i) != stop.charAt(i)) return false;
    return true;
  }
}
