package dev.paternoster.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paternoster.TestModels;
import dev.paternoster.gguf.GGUFFile;
import dev.paternoster.tokenizer.Tokenizer;
import dev.paternoster.tokenizer.Tokenizers;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class WorkloadTest {
  static final TokenPool POOL = TokenPool.ofVocabSize(1000);

  static Workload workload(LengthDistribution in, LengthDistribution out, int maxModelLen) {
    return new Workload(ArrivalProcess.poisson(5), 0, 50, Double.POSITIVE_INFINITY, in, out, maxModelLen, POOL, 11);
  }

  @Test
  void requestsAreDeterministicPerIndex() {
    Workload w = workload(new LengthDistribution.Uniform(10, 90), new LengthDistribution.Uniform(5, 50), 0);
    RequestSpec a = w.request(7, 1.0), b = w.request(7, 1.0);
    assertThat(a.promptIds()).containsExactly(b.promptIds());
    assertThat(a.outputTokens()).isEqualTo(b.outputTokens());
    assertThat(w.request(8, 1.0).promptIds()).isNotEqualTo(a.promptIds());
    assertThat(w.arrivalTimes()).containsExactly(w.arrivalTimes());
  }

  @Test
  void promptIdsComeFromThePoolOnly() {
    Workload w = workload(new LengthDistribution.Fixed(200), new LengthDistribution.Fixed(4), 0);
    for (int i = 0; i < 20; i++) {
      assertThat(Arrays.stream(w.request(i, 0).promptIds())).hasSize(200).allMatch(id -> id >= 259 && id < 1000);
    }
  }

  @Test
  void longRequestsAreClippedToTheModelLength() {
    Workload w = workload(new LengthDistribution.Fixed(300), new LengthDistribution.Fixed(100), 256);
    RequestSpec r = w.request(0, 0);
    assertThat(r.promptTokens() + r.outputTokens()).isEqualTo(256);
    assertThat(r.outputTokens()).isEqualTo(100);
    assertThat(w.maxRequestTokens()).isEqualTo(256);
  }

  @Test
  void needsABound() {
    assertThatThrownBy(() -> new Workload(null, 4, Integer.MAX_VALUE, Double.POSITIVE_INFINITY,
        new LengthDistribution.Fixed(1), new LengthDistribution.Fixed(1), 0, POOL, 0)).hasMessageContaining("--duration");
    assertThatThrownBy(() -> new Workload(null, 0, 5, Double.POSITIVE_INFINITY,
        new LengthDistribution.Fixed(1), new LengthDistribution.Fixed(1), 0, POOL, 0)).hasMessageContaining("concurrency");
  }

  @Test
  void tokenPoolOfASentencePieceVocabularySkipsSpecialAndByteTokens() {
    try (GGUFFile f = GGUFFile.open(TestModels.stories260K())) {
      Tokenizer tok = Tokenizers.fromGGUF(f);
      TokenPool pool = TokenPool.of(tok);
      assertThat(Arrays.stream(pool.ids())).isNotEmpty().allMatch(id -> id > TokenPool.LAST_BYTE_TOKEN && !tok.isSpecial(id));
      assertThat(pool.ids().length).isEqualTo(tok.vocabSize() - 259);
      assertThat(pool.bosId()).isEqualTo(tok.addsBos() ? tok.bosId() : -1);
      assertThat(pool.byteTokenIds()).hasSize(256).startsWith(3).endsWith(258);
      Workload w = new Workload(null, 1, 1, Double.POSITIVE_INFINITY, new LengthDistribution.Fixed(20),
          new LengthDistribution.Fixed(2), 0, pool, 1);
      int[] ids = w.request(0, Double.NaN).promptIds();
      if (pool.bosId() >= 0) assertThat(ids[0]).isEqualTo(pool.bosId());
      assertThat(Arrays.stream(ids).skip(1)).allMatch(id -> id > TokenPool.LAST_BYTE_TOKEN);
    }
  }
}
