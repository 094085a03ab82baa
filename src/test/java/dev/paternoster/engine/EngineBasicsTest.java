package dev.paternoster.engine;

import static dev.paternoster.engine.Harness.*;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EngineBasicsTest {

  @Test
  void greedyRequestRunsToMaxTokensAndStreamsEveryToken() {
    FakeModel model = new FakeModel();
    try (Engine engine = Engine.start(model, config(64).build())) {
      Events ev = new Events();
      GenerationResult r = await(engine.submit(new GenerationRequest("a", prompt(1, 10), SamplingParams.greedy(12)), ev));
      Choice c = r.choice();
      assertThat(c.tokenIds()).hasSize(12);
      assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
      assertThat(ev.tokens(0)).containsExactly(c.tokenIds());
      assertThat(ev.text(0)).isEqualTo(c.text());
      assertThat(ev.of(0).getLast().finishReason()).isEqualTo(FinishReason.LENGTH);
      assertThat(r.promptTokens()).isEqualTo(10);
      assertThat(r.completionTokens()).isEqualTo(12);
      assertThat(c.tokenIds()).containsExactly(alone(FakeModel::defaultRule, prompt(1, 10), SamplingParams.greedy(12)));
      assertNoLeaks(engine);
    }
  }
}
