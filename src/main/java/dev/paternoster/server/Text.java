package dev.paternoster.server;

/** Checks on text that came from JSON. */
final class Text {
  private Text() {}

  /**
   * JSON may carry {@code \ud800} escapes that decode to lone surrogates: text that is not valid
   * Unicode and has no UTF-8 encoding. Tokenizing it would silently turn it into U+FFFD, so such
   * input is refused, naming the field. (Invalid UTF-8 bytes are already refused by the JSON parser.)
   */
  static void requireWellFormed(String param, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
          continue;
        }
        throw invalid(param, i);
      }
      if (Character.isLowSurrogate(c)) throw invalid(param, i);
    }
  }

  private static ApiException invalid(String param, int index) {
    return ApiException.badRequest(param, "'" + param + "' is not valid Unicode: unpaired surrogate at character " + index);
  }
}
