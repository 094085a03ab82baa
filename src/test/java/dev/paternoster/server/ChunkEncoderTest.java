package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.TestModels;
import dev.paternoster.engine.FinishReason;
import dev.paternoster.engine.TokenEvent;
import dev.paternoster.engine.TokenLogprob;
import dev.paternoster.gguf.GGUFFile;
import dev.paternoster.tokenizer.Tokenizers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The per-token fast path of SSE encoding writes exactly the bytes of serializing {@link ResponseFormat#chunk}. */
class ChunkEncoderTest {
  private static final List<String> TEXTS = List.of(
      "a", " once", "hello world", "quote \" and back\\slash", "line\nbreak\ttab\rcr\bbs\ffeed",
      "\u0000\u0001\u001f\u007f", "ünïcødé", "日本語", "emoji 😀 pair", "\u2028\u2029", "</script><!--", "/slash",
      "private \uE000\uF8FF\uE000 use", "lone \uD800 high", "lone \uDC00 low", "ends high \uD83D", "{\"json\": [1, 2]}");

  @Test
  void textChunksAreByteForByteTheSerializedChunks() throws Exception {
    TokenStrings tokens;
    try (GGUFFile f = GGUFFile.open(TestModels.stories260K())) {
      tokens = new TokenStrings(Tokenizers.fromGGUF(f));
    }
    for (boolean usage : new boolean[] {false, true}) {
      for (boolean logprobs : new boolean[] {false, true}) {
        var completions = new ResponseFormat.Meta("cmpl-1", "text_completion", 1700000000L, "stories260K", usage);
        var chat = new ResponseFormat.Meta("chatcmpl-1", "chat.completion.chunk", 1700000000L, "stories260K", usage);
        check(() -> new CompletionFormat(completions, tokens, logprobs, 3), logprobs);
        check(() -> new ChatFormat(chat, tokens, logprobs), logprobs);
      }
    }
  }

  private static void check(java.util.function.Supplier<ResponseFormat> formats, boolean logprobs) {
    // Two instances fed the same events: one through the encoder, one serialized as before.
    ResponseFormat viaEncoder = formats.get();
    ResponseFormat viaTree = formats.get();
    ChunkEncoder encoder = new ChunkEncoder(viaEncoder);
    List<TokenEvent> events = new ArrayList<>();
    SplittableRandom rnd = new SplittableRandom(7);
    for (int i = 0; i < 200; i++) {
      String text = rnd.nextInt(5) == 0 ? "" : TEXTS.get(rnd.nextInt(TEXTS.size()));
      List<TokenLogprob> top = logprobs ? List.of(new TokenLogprob(5, -0.5f), new TokenLogprob(9, -1.25f)) : null;
      events.add(new TokenEvent(rnd.nextInt(3), 3 + rnd.nextInt(200), text, logprobs ? -0.5f : Float.NaN, top, null, null));
    }
    events.add(new TokenEvent(0, 12, "last", logprobs ? -0.1f : Float.NaN, null, FinishReason.LENGTH, null));
    events.add(new TokenEvent(1, -1, "", Float.NaN, null, FinishReason.STOP, "\n\n"));
    events.add(new TokenEvent(2, -1, "", Float.NaN, null, FinishReason.ABORT, null));
    for (TokenEvent e : events) {
      var tree = viaTree.chunk(e);
      byte[] expected = tree == null ? null : ChunkEncoder.frame(Json.bytes(tree));
      byte[] actual = encoder.encode(e);
      assertThat(actual == null ? null : new String(actual, StandardCharsets.UTF_8))
          .as("%s %s", viaTree.getClass().getSimpleName(), e)
          .isEqualTo(expected == null ? null : new String(expected, StandardCharsets.UTF_8));
      if (expected != null) assertThat(actual).isEqualTo(expected);
    }
  }
}
