package dev.paternoster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** llama.cpp's recorded outputs ({@code *.anchors.json} in ../shared). */
public record Anchors(String model, List<Case> cases, int[] bannedIds) {

  /** One prompt: the ids llama.cpp evaluated (BOS included) and its greedy steps. */
  public record Case(String kind, String prompt, int[] promptIds, int[] generatedIds, List<Step> steps) {}

  /** One generated token: the greedy choice and the top-5 [id, logprob] pairs, best first. */
  public record Step(int id, int[] topIds, double[] topLogprobs) {
    /** Gap between the best and the second-best log-probability. */
    public double margin() {
      return topLogprobs.length > 1 ? topLogprobs[0] - topLogprobs[1] : Double.POSITIVE_INFINITY;
    }
  }

  public static Anchors read(Path path) {
    try {
      JsonNode root = new ObjectMapper().readTree(path.toFile());
      List<Case> cases = new ArrayList<>();
      for (JsonNode c : root.get("cases")) {
        List<Step> steps = new ArrayList<>();
        for (JsonNode s : c.get("steps")) {
          JsonNode top = s.get("top");
          int[] ids = new int[top.size()];
          double[] lps = new double[top.size()];
          for (int i = 0; i < top.size(); i++) {
            ids[i] = top.get(i).get(0).asInt();
            lps[i] = top.get(i).get(1).asDouble();
          }
          steps.add(new Step(s.get("id").asInt(), ids, lps));
        }
        String prompt = c.has("prompt") ? c.get("prompt").asText() : null;
        cases.add(new Case(c.path("kind").asText(), prompt, ints(c.get("prompt_ids")), ints(c.get("generated_ids")), steps));
      }
      JsonNode banned = root.path("settings").path("banned_ids");
      int[] bannedIds = banned.isMissingNode() ? new int[0] : expandBanned(banned);
      return new Anchors(root.path("model").asText(), cases, bannedIds);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int[] expandBanned(JsonNode n) {
    // recorded as an inclusive range [from, to]
    if (n.isArray() && n.size() == 2) {
      int from = n.get(0).asInt(), to = n.get(1).asInt();
      int[] r = new int[to - from + 1];
      for (int i = 0; i < r.length; i++) r[i] = from + i;
      return r;
    }
    if (n.isArray()) return ints(n);
    if (n.has("from") && n.has("to")) {
      int from = n.get("from").asInt(), to = n.get("to").asInt();
      int[] r = new int[to - from + 1];
      for (int i = 0; i < r.length; i++) r[i] = from + i;
      return r;
    }
    return new int[0];
  }

  /** A JSON array of integers as an int[]. */
  public static int[] ints(JsonNode n) {
    int[] a = new int[n.size()];
    for (int i = 0; i < a.length; i++) a[i] = n.get(i).asInt();
    return a;
  }
}
