package dev.paternoster.model;

/**
 * The input of one forward call: a flat list of tokens that belong to many sequences.
 *
 * <p>Prefill chunks and single decode tokens of different sequences mix freely. Token {@code i}
 * belongs to sequence {@code seq[i]} (an index into {@code blockTables}), sits at position
 * {@code positions[i]} of that sequence, and writes its K/V into page
 * {@code blockTables[seq[i]][positions[i] / pageSize]} at offset {@code positions[i] % pageSize}.
 * It attends to positions {@code 0..positions[i]} of its own sequence: earlier positions must be in
 * the cache already or be earlier tokens of this same batch.
 *
 * @param tokens token ids, one per batch row
 * @param positions position of each token within its sequence
 * @param seq sequence index of each token, into {@code blockTables}
 * @param blockTables per sequence: the KV pages holding its positions, in order
 * @param logitRows batch rows whose logits are wanted, in the order they are written to the output
 * @param promptLengths per sequence, the length of its prompt, or null if unknown (see {@link #promptRow})
 */
public record Batch(int[] tokens, int[] positions, int[] seq, int[][] blockTables, int[] logitRows, int[] promptLengths) {

  /** A batch without prompt lengths: every token is multiplied as llama.cpp multiplies a single token. */
  public Batch(int[] tokens, int[] positions, int[] seq, int[][] blockTables, int[] logitRows) {
    this(tokens, positions, seq, blockTables, logitRows, null);
  }

  public Batch {
    if (promptLengths != null && promptLengths.length != blockTables.length) {
      throw new IllegalArgumentException("promptLengths must have one entry per sequence");
    }
    int n = tokens.length;
    if (positions.length != n || seq.length != n) {
      throw new IllegalArgumentException("tokens, positions and seq must have the same length");
    }
    for (int i = 0; i < n; i++) {
      if (seq[i] < 0 || seq[i] >= blockTables.length) {
        throw new IllegalArgumentException("token " + i + " refers to sequence " + seq[i] + " of " + blockTables.length);
      }
      if (positions[i] < 0) throw new IllegalArgumentException("negative position at row " + i);
    }
    for (int r : logitRows) {
      if (r < 0 || r >= n) throw new IllegalArgumentException("logit row " + r + " outside batch of " + n);
    }
  }

  public int size() {
    return tokens.length;
  }

  /**
   * Whether llama.cpp, evaluating this token's sequence on its own, multiplies row i as part of its
   * prompt batch in the 4-row kernels of repacked Q4_K matrices (the first {@code P - P % 4} of a
   * prompt of P tokens) rather than as a single token. It depends only on the token's sequence and
   * position, never on the batch, so results stay batch invariant.
   */
  public boolean promptRow(int i) {
    return promptLengths != null && positions[i] < promptRows(promptLengths[seq[i]]);
  }

  /** How many leading positions of a {@code promptLength}-token prompt are prompt rows ({@link #promptRow}). */
  public static int promptRows(int promptLength) {
    return promptLength - promptLength % 4;
  }

  /** A batch of one sequence, positions {@code start..start+ids.length-1}, logits for the last token. */
  public static Batch single(int[] ids, int start, int[] blockTable) {
    return single(ids, start, blockTable, 0);
  }

  /** As {@link #single(int[], int, int[])}, for a sequence whose prompt has {@code promptLength} tokens. */
  public static Batch single(int[] ids, int start, int[] blockTable, int promptLength) {
    int n = ids.length;
    int[] pos = new int[n];
    for (int i = 0; i < n; i++) pos[i] = start + i;
    return new Batch(ids, pos, new int[n], new int[][] {blockTable}, new int[] {n - 1}, new int[] {promptLength});
  }
}
