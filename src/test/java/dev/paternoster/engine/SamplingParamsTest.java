package dev.paternoster.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SamplingParamsTest {
  private static final int VOCAB = 64;

  static Stream<Arguments> invalid() {
    return Stream.of(
        bad("max_tokens", "max_tokens must be at least 1, got 0", b -> b.maxTokens(0)),
        bad("temperature", "temperature must be non-negative, got -0.5", b -> b.temperature(-0.5f)),
        bad("temperature", "temperature must be non-negative, got NaN", b -> b.temperature(Float.NaN)),
        bad("top_k", "top_k must be -1 or 0 (disable), or at least 1, got -2", b -> b.topK(-2)),
        bad("top_p", "top_p must be in (0, 1], got 1.5", b -> b.topP(1.5f)),
        bad("top_p", "top_p must be in (0, 1], got 0.0", b -> b.topP(0f)),
        bad("min_p", "min_p must be in [0, 1], got -0.1", b -> b.minP(-0.1f)),
        bad("repetition_penalty", "repetition_penalty must be greater than 0, got 0.0", b -> b.repetitionPenalty(0f)),
        bad("presence_penalty", "presence_penalty must be in [-2, 2], got 2.5", b -> b.presencePenalty(2.5f)),
        bad("frequency_penalty", "frequency_penalty must be in [-2, 2], got -3.0", b -> b.frequencyPenalty(-3f)),
        bad("min_tokens", "min_tokens must be non-negative, got -1", b -> b.minTokens(-1)),
        bad("min_tokens", "min_tokens must be less than or equal to max_tokens=16, got 17", b -> b.minTokens(17)),
        bad("logprobs", "logprobs must be in [0, 20], got 21", b -> b.logprobs(21)),
        bad("logprobs", "logprobs must be in [0, 20], got -1", b -> b.logprobs(-1)),
        bad("n", "n must be in [1, 128], got 0", b -> b.n(0)),
        bad("stop", "stop must not contain empty strings", b -> b.stop("x", "")),
        bad("stop", "stop must not contain empty strings", b -> b.stop(Arrays.asList("x", null))),
        bad("stop_token_ids", "stop_token_ids contains 64, outside the vocabulary [0, 64)", b -> b.stopTokenIds(Set.of(64))),
        bad("logit_bias", "logit_bias has token id -1, outside the vocabulary [0, 64)", b -> b.logitBias(Map.of(-1, 1f))),
        bad("logit_bias", "logit_bias values must be in [-100, 100], got 101.0 for token 3", b -> b.logitBias(Map.of(3, 101f))));
  }

  private static Arguments bad(String param, String message, UnaryOperator<SamplingParams.Builder> edit) {
    return Arguments.of(param, message, edit);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("invalid")
  void rejectsWithAMessageNamingTheParameter(String param, String message, UnaryOperator<SamplingParams.Builder> edit) {
    SamplingParams p = edit.apply(SamplingParams.builder()).build();
    assertThatThrownBy(() -> p.validate(VOCAB))
        .isInstanceOf(InvalidRequestException.class)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message)
        .satisfies(e -> assertThat(((InvalidRequestException) e).parameter()).isEqualTo(param));
  }

  @Test
  void acceptsTheDefaultsAndTheEdgesOfEveryRange() {
    assertThatCode(() -> SamplingParams.defaults().validate(VOCAB)).doesNotThrowAnyException();
    SamplingParams edges = SamplingParams.builder()
        .maxTokens(1).temperature(0).topK(-1).topP(1).minP(1).repetitionPenalty(2).presencePenalty(-2)
        .frequencyPenalty(2).minTokens(1).logprobs(0).n(128).stop("a").stopTokenIds(Set.of(0, 63))
        .logitBias(Map.of(0, -100f, 63, 100f)).seed(-5L).build();
    assertThatCode(() -> edges.validate(VOCAB)).doesNotThrowAnyException();
    assertThat(edges.isGreedy()).isTrue();
  }

  @Test
  void defaultsAreVllmsAndCollectionsAreImmutableCopies() {
    SamplingParams d = SamplingParams.defaults();
    assertThat(d.maxTokens()).isEqualTo(16);
    assertThat(d.temperature()).isEqualTo(1f);
    assertThat(d.topP()).isEqualTo(1f);
    assertThat(d.n()).isEqualTo(1);
    assertThat(d.logprobs()).isNull();
    assertThat(d.seed()).isNull();
    var list = new java.util.ArrayList<>(java.util.List.of("a"));
    SamplingParams p = SamplingParams.builder().stop(list).build();
    list.add("b");
    assertThat(p.stop()).containsExactly("a");
    assertThatThrownBy(() -> p.stop().add("c")).isInstanceOf(UnsupportedOperationException.class);
    SamplingParams nulls = new SamplingParams(1, 0, 0, 1, 0, 1, 0, 0, null, null, null, false, 0, null, 1, null);
    assertThat(nulls.stop()).isEmpty();
    assertThat(nulls.stopTokenIds()).isEmpty();
    assertThat(nulls.logitBias()).isEmpty();
    assertThat(p.toBuilder().topK(5).build().stop()).containsExactly("a");
  }
}
