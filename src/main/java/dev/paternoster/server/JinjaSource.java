package dev.paternoster.server;

import java.util.regex.Pattern;

/**
 * Rewrites HuggingFace chat-template source into what Jinjava parses the same way Python's Jinja2
 * would. Only syntax is rewritten here; Python string methods are handled at evaluation time by
 * {@link PythonMethods}.
 */
final class JinjaSource {
  // Jinja2's whitespace control: '{{-' / '{%-' / '{#-' strip all whitespace before the tag, '-}}'
  // / '-%}' / '-#}' all whitespace after it. Jinjava ignores the marker on expressions, which
  // would leave template indentation in every prompt, so the stripping is done here, once.
  private static final Pattern STRIP_BEFORE = Pattern.compile("\\s*\\{([{%#])-");
  private static final Pattern STRIP_AFTER = Pattern.compile("-([}%#])\\}\\s*");
  // '{%+' turns lstrip_blocks off for one tag: the tag itself is the same without the '+'.
  private static final Pattern KEEP_BEFORE = Pattern.compile("\\{([%])\\+");
  // Python's x[::-1] (reverse a list or string): Jinjava's parser has no step slices, so it becomes
  // a method call that PythonMethods answers; a call, unlike a filter, can be followed by [0] or .x.
  private static final Pattern REVERSE_SLICE = Pattern.compile("\\[\\s*:\\s*:\\s*-1\\s*\\]");

  private JinjaSource() {}

  static String rewrite(String source) {
    String s = STRIP_BEFORE.matcher(source).replaceAll("{$1");
    s = STRIP_AFTER.matcher(s).replaceAll("$1}");
    s = KEEP_BEFORE.matcher(s).replaceAll("{$1");
    s = REVERSE_SLICE.matcher(s).replaceAll(".__reversed__()");
    return s;
  }
}
