package dev.paternoster.engine;

import dev.paternoster.model.Batch;
import dev.paternoster.model.KvCache;
import dev.paternoster.model.Model;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a scheduled batch into the model's flat {@link Batch} (tokens, positions, sequence index,
 * block tables, the rows whose logits are needed) and runs one forward call.
 */
final class ModelRunner {
  private final Model model;
  private final KvCache kv;
  private final int vocabSize;
  /** Reused every step: one row per sampled sequence, at most maxNumSeqs rows. */
  private final float[] logits;

  ModelRunner(Model model, KvCache kv, int vocabSize, int maxRows) {
    this.model = model;
    this.kv = kv;
    this.vocabSize = vocabSize;
    this.logits = new float[Math.multiplyExact(maxRows, vocabSize)];
  }

  /**
   * Computes the batch. Logits rows come back in batch order of the entries that sample; only
   * sequences whose known tokens are all computed after this step get a row (a prompt's middle
   * chunks need none).
   */
  float[] run(ScheduledBatch batch) {
    List<ScheduledBatch.Entry> entries = batch.entries();
    int n = batch.numTokens();
    int[] tokens = new int[n];
    int[] positions = new int[n];
    int[] seq = new int[n];
    int[][] blockTables = new int[entries.size()][];
    int[] promptLengths = new int[entries.size()];
    int[] logitRows = new int[batch.numSampled()];
    int row = 0;
    int sampled = 0;
    for (int j = 0; j < entries.size(); j++) {
      ScheduledBatch.Entry e = entries.get(j);
      Sequence s = e.seq();
      blockTables[j] = Arrays.copyOf(s.blockTable, s.numPages);
      promptLengths[j] = s.promptLen;
      for (int k = 0; k < e.numNew(); k++) {
        int pos = e.start() + k;
        tokens[row] = s.tokens[pos];
        positions[row] = pos;
        seq[row] = j;
        row++;
      }
      if (e.sample()) logitRows[sampled++] = row - 1;
    }
    model.forward(new Batch(tokens, positions, seq, blockTables, logitRows, promptLengths), kv, logits);
    return logits;
  }

  int vocabSize() {
    return vocabSize;
  }
}
