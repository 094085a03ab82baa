package dev.paternoster.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * llama.cpp's tokenizer test vectors: {@code X.gguf.inp} holds strings separated by lines
 * {@code __ggml_vocab_test__}, {@code X.gguf.out} one line of expected ids per string. Read exactly
 * as {@code test-tokenizer-0.cpp} reads them (separator including both newlines, ids trimmed).
 */
record VocabTestVectors(List<Case> cases) {
  record Case(int index, String text, int[] expected) {
    @Override
    public String toString() {
      return "#" + index + " " + escape(text);
    }
  }

  static VocabTestVectors read(Path gguf) {
    try {
      String inp = Files.readString(Path.of(gguf + ".inp"), StandardCharsets.UTF_8);
      List<String> out = Files.readAllLines(Path.of(gguf + ".out"), StandardCharsets.UTF_8);
      String sep = "\n__ggml_vocab_test__\n";
      List<String> texts = new ArrayList<>();
      int pos = 0;
      while (pos < inp.length()) {
        int next = inp.indexOf(sep, pos);
        if (next < 0) {
          texts.add(inp.substring(pos));
          break;
        }
        texts.add(inp.substring(pos, next));
        pos = next + sep.length();
      }
      if (texts.size() != out.size()) {
        throw new IllegalStateException(gguf + ": " + texts.size() + " test strings but " + out.size() + " id lines");
      }
      List<Case> cases = new ArrayList<>();
      for (int i = 0; i < texts.size(); i++) {
        String line = out.get(i).strip();
        int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
        cases.add(new Case(i, texts.get(i), ids));
      }
      return new VocabTestVectors(List.copyOf(cases));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String escape(String s) {
    StringBuilder sb = new StringBuilder("'");
    for (int i = 0; i < s.length() && sb.length() < 60; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        default -> sb.append(c);
      }
    }
    return sb.append(s.length() > 60 ? "...'" : "'").toString();
  }
}
