package dev.paternoster.server;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python {@code str} methods (and list reversal, the target of {@code [::-1]}) that chat templates call ({@code content.strip()}, {@code
 * role.startswith('user')}, {@code text.split('\n')}, ...) for Jinjava, whose strings are Java
 * strings. Consulted before Jinjava's own resolver; every other call falls through to it.
 */
final class PythonMethods extends ELResolver {

  @Override
  public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
    if (method == null) return null;
    Object result = null;
    if (base instanceof java.util.Collection<?> c && method.toString().equals("__reversed__")) {
      List<Object> l = new ArrayList<>(c);
      java.util.Collections.reverse(l);
      result = l;
    } else if (base instanceof String s) {
      result = apply(s, method.toString(), params == null ? new Object[0] : params);
    }
    if (result != null) context.setPropertyResolved(true);
    return result;
  }

  /** The method's result, or null when it is not a Python method we provide. */
  static Object apply(String s, String name, Object[] p) {
    return switch (name) {
      case "__reversed__" -> new StringBuilder(s).reverse().toString();
      case "startswith" -> p.length >= 1 ? anyMatch(p[0], s::startsWith) : null;
      case "endswith" -> p.length >= 1 ? anyMatch(p[0], s::endsWith) : null;
      case "strip" -> p.length == 0 ? s.strip() : rstrip(lstrip(s, str(p[0])), str(p[0]));
      case "lstrip" -> p.length == 0 ? s.stripLeading() : lstrip(s, str(p[0]));
      case "rstrip" -> p.length == 0 ? s.stripTrailing() : rstrip(s, str(p[0]));
      case "upper" -> s.toUpperCase();
      case "lower" -> s.toLowerCase();
      case "title" -> title(s);
      case "capitalize" -> s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1).toLowerCase();
      case "split" -> split(s, p);
      case "splitlines" -> s.lines().toList();
      case "find" -> p.length >= 1 ? s.indexOf(str(p[0])) : null;
      case "count" -> p.length >= 1 ? count(s, str(p[0])) : null;
      case "join" -> p.length == 1 && p[0] instanceof Iterable<?> it ? join(s, it) : null;
      case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
      case "isspace" -> !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
      default -> null;
    };
  }

  private static String str(Object o) {
    return String.valueOf(o);
  }

  private static boolean anyMatch(Object prefixOrTuple, java.util.function.Predicate<String> test) {
    if (prefixOrTuple instanceof Iterable<?> it) { // Python accepts a tuple of prefixes
      for (Object o : it) if (test.test(str(o))) return true;
      return false;
    }
    return test.test(str(prefixOrTuple));
  }

  private static String lstrip(String s, String chars) {
    int i = 0;
    while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) i++;
    return s.substring(i);
  }

  private static String rstrip(String s, String chars) {
    int i = s.length();
    while (i > 0 && chars.indexOf(s.charAt(i - 1)) >= 0) i--;
    return s.substring(0, i);
  }

  private static String title(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    boolean start = true;
    for (char c : s.toCharArray()) {
      sb.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
      start = !Character.isLetter(c);
    }
    return sb.toString();
  }

  private static List<String> split(String s, Object[] p) {
    if (p.length == 0 || p[0] == null) { // Python: split on runs of whitespace, no empty strings
      String t = s.strip();
      return t.isEmpty() ? List.of() : Arrays.asList(t.split("\\s+"));
    }
    String sep = str(p[0]);
    int max = p.length > 1 && p[1] instanceof Number n ? n.intValue() : -1;
    List<String> out = new ArrayList<>(Arrays.asList(s.split(Pattern.quote(sep), -1)));
    if (max >= 0 && out.size() > max + 1) {
      String rest = String.join(sep, out.subList(max, out.size()));
      out = new ArrayList<>(out.subList(0, max));
      out.add(rest);
    }
    return out;
  }

  private static long count(String s, String sub) {
    if (sub.isEmpty()) return s.length() + 1L;
    long n = 0;
    for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
    return n;
  }

  private static String join(String sep, Iterable<?> items) {
    StringBuilder sb = new StringBuilder();
    boolean first = true;
    for (Object o : items) {
      if (!first) sb.append(sep);
      sb.append(str(o));
      first = false;
    }
    return sb.toString();
  }

  // Property access is left entirely to Jinjava's resolver.
  @Override public Object getValue(ELContext c, Object base, Object property) { return null; }
  @Override public Class<?> getType(ELContext c, Object base, Object property) { return null; }
  @Override public void setValue(ELContext c, Object base, Object property, Object value) {}
  @Override public boolean isReadOnly(ELContext c, Object base, Object property) { return true; }
  @Override public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext c, Object base) { return null; }
  @Override public Class<?> getCommonPropertyType(ELContext c, Object base) { return null; }
}
