package dev.paternoster.engine;

import java.util.List;

/**
 * What one step computes: per sequence, a run of its tokens starting at its computed prefix.
 *
 * @param entries in batch order: decodes of running sequences, then prompt chunks
 * @param preemptions sequences preempted while building this batch
 */
record ScheduledBatch(List<Entry> entries, int preemptions) {

  /**
   * @param start first position computed (the sequence's computed prefix before the step)
   * @param numNew tokens computed in this step
   * @param sample whether the step completes the sequence's known tokens, so its logits are
   *     sampled for the next token (false for all but the last chunk of a prompt)
   */
  record Entry(Sequence seq, int start, int numNew, boolean sample, StepEntry.Kind kind) {}

  boolean isEmpty() {
    return entries.isEmpty();
  }

  int numTokens() {
    int n = 0;
    for (Entry e : entries) n += e.numNew();
    return n;
  }

  int numSampled() {
    int n = 0;
    for (Entry e : entries) if (e.sample()) n++;
    return n;
  }
}
