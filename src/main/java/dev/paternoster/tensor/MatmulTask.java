package dev.paternoster.tensor;

import static dev.paternoster.tensor.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One matmul call's arguments and the blocked loop a thread runs over its share of the rows.
 * Reused across calls (one instance per calling thread) so that handing work to
 * {@link Parallel} allocates nothing.
 *
 * <p>Loop structure, for each chunk of at most {@link #TOKEN_CHUNK} tokens and each group of
 * {@link #ROWS} rows: for each block of {@link #BLOCK_COLS} columns, decode the group's weights
 * once into L1-resident scratch, then run the register tiles over the chunk's tokens; the
 * per-(row, token) vector accumulators persist across blocks in {@link Workspace#acc}. At the end
 * of the group, each accumulator is summed across lanes and the scalar tail (row lengths that are
 * not a multiple of L) is added. One to four tokens of Q8_0/Q4_0 skip the scratch
 * ({@link #inRegisters}), and so do five to {@link FusedTiles#MAX_TOKENS} of them ({@link #fused}).
 */
final class MatmulTask implements Parallel.RangeTask {
  /** Rows decoded together (the row dimension of the register tile). */
  static final int ROWS = DotTiles.ROWS;
  /**
   * Columns per block: a multiple of every block size (256) and of L. 8 rows of it take 32 KB of a
   * 48 KB L1; on Qwen2.5-0.5B (rows of 896 and 4864) 1024 decoded about 7 % faster than 512 at 16
   * sequences (fewer accumulator loads and stores per tile call), 2048 no faster.
   */
  static final int BLOCK_COLS = Integer.getInteger("paternoster.blockCols", 1024);

  /**
   * Tokens per pass over the rows. Every pass decodes each weight once, and reads its tokens'
   * activations once per group of {@link #ROWS} rows ({@code TOKEN_CHUNK * cols * 4} bytes; a
   * column block's share of them, {@code TOKEN_CHUNK * BLOCK_COLS * 4}, stays in L2). On a Zen 4
   * core (1 MiB L2), 512 tokens of Qwen2.5-0.5B's FFN shapes on one thread: 144 ran 8-12 % faster
   * than 48 (decoding took 15 % of a 48-token pass), 288 no faster, 516 slower on the 4864-column
   * rows; a 16-sequence prefill of the model gained 4-8 %, in both numerics.
   */
  static final int TOKEN_CHUNK = Integer.getInteger("paternoster.tokenChunk", 144);

  static {
    if (TOKEN_CHUNK <= 0) throw new IllegalStateException("paternoster.tokenChunk must be positive, got " + TOKEN_CHUNK);
    if (BLOCK_COLS <= 0 || BLOCK_COLS % 256 != 0 || BLOCK_COLS % Lanes.L != 0) {
      throw new IllegalStateException("paternoster.blockCols must be a positive multiple of 256, got " + BLOCK_COLS);
    }
  }

  private static final ThreadLocal<MatmulTask> PER_THREAD = ThreadLocal.withInitial(MatmulTask::new);

  private Weight w;
  private RowDecoder decoder;
  private float[] x;
  private int xOff, xStride, nTokens;
  private float[] out;
  private int outOff, outStride;
  /** Whether this call's rows are decoded in registers one to four tokens at a time ({@link #inRegisters}). */
  private boolean registers;
  /** Whether this call's rows go through {@link FusedTiles}, its tokens packed once into {@link #packed}. */
  private boolean fused;
  /** The call's activations in {@link FusedTiles#pack}'s panels, shared read-only by the threads. */
  private float[] packed = new float[0];

  static MatmulTask forCurrentThread() {
    return PER_THREAD.get();
  }

  void set(Weight w, float[] x, int xOff, int xStride, int nTokens, float[] out, int outOff, int outStride) {
    this.w = w;
    this.decoder = RowDecoder.of(w.type());
    this.x = x;
    this.xOff = xOff;
    this.xStride = xStride;
    this.nTokens = nTokens;
    this.out = out;
    this.outOff = outOff;
    this.outStride = outStride;
    // packed here, once, by the calling thread: the pieces the threads run (Parallel halves what
    // is left of a region each time) all read the same panels, where packing per piece repeated
    // the copy a dozen times per call and cost a 16-sequence prefill a quarter of its speed
    this.registers = w.cols() % L == 0 && RegisterRows.handles(w.type(), nTokens);
    this.fused = !registers && FusedTiles.handles(w, nTokens);
    if (fused) {
      int n = nTokens * w.cols();
      if (packed.length < n) packed = new float[n];
      FusedTiles.pack(x, xOff, xStride, nTokens, w.cols(), packed);
    }
  }

  void clear() {
    w = null;
    x = null;
    out = null;
  }

  @Override
  public void run(int start, int end) {
    Workspace ws = Workspace.get(Math.min(nTokens, TOKEN_CHUNK));
    int nt = nTokens;
    // a few tokens reuse a decoded weight too little: decode in registers instead (same bits, see RegisterRows)
    if (registers) {
      start = inRegisters(start, end, ws);
    } else if (fused) {
      start = fused(start, end, ws);
    }
    // many tokens: in chunks, so that a chunk's activations stay in L2 while every row group
    // passes over them (512 tokens of 4864 columns are 10 MB); each token's sums are unchanged
    int passes = passes(nt);
    for (int p = 0; p < passes; p++) {
      int t0 = passStart(nt, p, passes);
      decoded(start, end, t0, passStart(nt, p + 1, passes) - t0, ws);
    }
  }

  /**
   * Passes start on multiples of this many tokens, so that every pass but the last fills whole
   * 8x3 tiles and whole token pairs of {@link LaneSums#reduceGroup} (near-equal passes of a
   * 512-token prefill step had 46 or 47 tokens: a 1-token tile and a lone token's sums each pass).
   */
  static final int PASS_GROUP = TOKEN_CHUNK % 6 == 0 ? 6 : 1;

  /** Passes over the rows for {@code nt} tokens, each of at most {@link #TOKEN_CHUNK}. */
  static int passes(int nt) {
    int groups = (nt + PASS_GROUP - 1) / PASS_GROUP, perPass = TOKEN_CHUNK / PASS_GROUP;
    return (groups + perPass - 1) / perPass;
  }

  /**
   * The first token of pass {@code p} of {@code passes} over {@code nt} tokens: the groups of
   * {@link #PASS_GROUP} tokens shared out near-equally, the last pass taking what is left.
   */
  static int passStart(int nt, int p, int passes) {
    long groups = (nt + PASS_GROUP - 1) / PASS_GROUP;
    return (int) Math.min(nt, PASS_GROUP * (groups * p / passes));
  }

  /**
   * A few dozen tokens of Q8_0 or Q4_0 weights, rows {@code [start, end)} in groups of {@link #ROWS}:
   * the weights decoded in registers, two rows at a time ({@link FusedTiles}), then the group's
   * lane sums. Returns the first row not done (the last {@code (end - start) % ROWS}).
   */
  private int fused(int start, int end, Workspace ws) {
    int cols = w.cols(), nt = nTokens, ra = nt * L;
    long rowBytes = w.rowBytes();
    float[] xs = packed;
    int r0 = start;
    for (; r0 + ROWS <= end; r0 += ROWS) {
      for (int i = 0; i < ROWS; i += 2) {
        FusedTiles.rowPair(w.type(), w.data(), (r0 + i) * rowBytes, rowBytes, cols, xs, nt, ws.acc, i * ra, ra);
      }
      LaneSums.reduceGroup(ws.acc, nt, out, outOff + r0, outStride);
    }
    return r0;
  }

  /**
   * Rows {@code [start, end)} for tokens {@code [t0, t0 + nt)}: the tokens' activations copied to
   * aligned scratch, then per group of rows decoded blocks and the tiles.
   */
  private void decoded(int start, int end, int t0, int nt, Workspace ws) {
    float[] dec = ws.decoded, acc = ws.acc;
    MemorySegment aligned = ws.alignedDecoded;
    MemorySegment data = w.data();
    long rowBytes = w.rowBytes();
    int cols = w.cols(), xo = xOff + t0 * xStride, oo = outOff + t0 * outStride;
    int full = cols - cols % L; // columns covered by whole vectors; the rest is the scalar tail
    int lastBlock = (cols - 1) / BLOCK_COLS * BLOCK_COLS;
    MemorySegment xs = ws.activations(nt, cols);
    long xsStride = 4L * Workspace.activationStride(cols);
    for (int t = 0; t < nt; t++) {
      MemorySegment.copy(x, xo + t * xStride, xs, ValueLayout.JAVA_FLOAT, t * xsStride, full);
    }
    for (int r0 = start; r0 < end; r0 += ROWS) {
      int nr = Math.min(ROWS, end - r0);
      Arrays.fill(acc, 0, nr * nt * L, 0f);
      for (int kb = 0; kb < cols; kb += BLOCK_COLS) {
        int kw = Math.min(BLOCK_COLS, cols - kb);
        for (int i = 0; i < nr; i++) {
          decoder.decode(data, (r0 + i) * rowBytes, kb, kw, dec, i * BLOCK_COLS);
        }
        int vw = Math.min(kw, full - kb);
        if (vw > 0) {
          // decoded into an array (vector stores to a segment make C2 re-check both segments at
          // every vector: 2.7x slower), then copied in one go to the aligned scratch the tiles read
          MemorySegment.copy(dec, 0, aligned, ValueLayout.JAVA_FLOAT, 0, (nr - 1) * BLOCK_COLS + vw);
          DotTiles.accumulate(nr, nt, aligned, xs, 4L * kb, xsStride, vw, acc);
        }
      }
      sumRows(r0, nr, nt, xo, oo, full, lastBlock, ws);
    }
  }

  /**
   * The sums of the accumulators of the {@code nr} consecutive rows from {@code r0} and
   * {@code nt} tokens go to the outputs. A full group without a scalar tail (L = 16) goes from the
   * lane-sum tree straight to them ({@link LaneSums#reduceGroup}), instead of through a scratch
   * array read back one float at a time; the same additions, so the same bits. Any other group
   * goes through {@link #finish}.
   */
  private void sumRows(int r0, int nr, int nt, int xo, int oo, int full, int lastBlock, Workspace ws) {
    if (L == 16 && nr == ROWS && full == w.cols()) {
      LaneSums.reduceGroup(ws.acc, nt, out, oo + r0, outStride);
    } else {
      finish(r0, 1, nr, nt, xo, oo, full, lastBlock, ws.decoded, ws.acc, ws.sums);
    }
  }

  /**
   * One token's Q8_0 rows up to this many bytes are read one after another
   * ({@link RegisterRows#q8_0InOrder}): a single sequential stream per thread, one accumulator
   * chain at a time. On Qwen2.5-0.5B's shape (rows of 952 bytes but the down projection's 5,168)
   * one-sequence decoding gained a median 4 % (7 of 8 alternating runs faster); RowStreamBenchmark
   * reads 952- and 2,176-byte rows in order at 26-27 GB/s against 20-24 far apart, and 5,168-byte
   * rows at 14 against 20, where one chain's FMA latency rather than the memory sets the pace.
   * Q4_0 stays on the far-apart rows: its decoding is longer, and in order it was slower.
   */
  static final long IN_ORDER_ROW_BYTES = Long.getLong("paternoster.inOrderRowBytes", 4096);

  /**
   * Groups of {@link #ROWS} rows whose in-order accumulators are summed by one
   * {@link LaneSums#reduceGroup} call (each of its trees then sums 16 real accumulators, where
   * one group of one token fills only half a tree).
   */
  static final int IN_ORDER_GROUPS = 8;

  /**
   * One to four tokens, rows {@code [start, end)}: the weights are decoded in registers
   * ({@link RegisterRows}, same bits as the decoded path). The range is cut into {@link #ROWS}
   * runs of q consecutive rows and each call takes the i-th row of every run, so a thread reads
   * {@code ROWS} long sequential streams. Reading {@code ROWS} neighbouring rows instead gives the
   * memory {@code ROWS} streams of one short row each (952 bytes on Qwen2.5-0.5B's 896 columns),
   * which the hardware prefetchers barely start on before they end: measured 7-10 GB/s against
   * 20 GB/s for the same loop on far-apart rows. Returns the first row not done (the last
   * {@code (end - start) % ROWS}).
   */
  private int inRegisters(int start, int end, Workspace ws) {
    int q = (end - start) / ROWS, cols = w.cols();
    long rowBytes = w.rowBytes();
    if (nTokens == 1 && w.type() == GGMLType.Q8_0 && rowBytes <= IN_ORDER_ROW_BYTES) {
      if (L != 16) {
        for (int r = start; r < start + q * ROWS; r += ROWS) {
          RegisterRows.q8_0InOrder(w.data(), r * rowBytes, rowBytes, ROWS, x, xOff, cols, ws.acc, 0, L);
          sumRows(r, ROWS, 1, xOff, outOff, cols, 0, ws);
        }
        return start + q * ROWS;
      }
      // up to IN_ORDER_GROUPS groups of rows, then one lane-sum call for all of them: group g's
      // row i at accumulator i * groups + g, the layout of row i, token g in reduceGroup
      for (int g0 = 0; g0 < q; g0 += IN_ORDER_GROUPS) {
        int groups = Math.min(IN_ORDER_GROUPS, q - g0), r = start + g0 * ROWS;
        for (int g = 0; g < groups; g++) {
          RegisterRows.q8_0InOrder(w.data(), (r + g * ROWS) * rowBytes, rowBytes, ROWS, x, xOff, cols, ws.acc, g * L, groups * L);
        }
        LaneSums.reduceGroup(ws.acc, groups, out, outOff + r, ROWS);
      }
      return start + q * ROWS;
    }
    for (int i = 0; i < q; i++) {
      int r = start + i;
      RegisterRows.dot8(w.type(), nTokens, w.data(), r * rowBytes, q * rowBytes, x, xOff, xStride, cols, ws.acc);
      // rows r, r + q, r + 2q, ...; no scalar tail (whole vectors only)
      finish(r, q, ROWS, nTokens, xOff, outOff, cols, 0, ws.decoded, ws.acc, ws.sums);
    }
    return start + q * ROWS;
  }

  /**
   * Sums each (row, token) accumulator across lanes, adds the scalar tail and stores the result:
   * accumulator row i is output row {@code r0 + i*rowStep}; tokens {@code t < nt} at
   * {@code x[xo + t*xStride ..]}, {@code out[oo + t*outStride ..]}.
   */
  private void finish(int r0, int rowStep, int nr, int nt, int xo, int oo, int full, int lastBlock, float[] dec, float[] acc, float[] sums) {
    int cols = w.cols(), count = nr * nt;
    for (int k0 = 0; k0 < count; k0 += L) {
      int m = Math.min(L, count - k0);
      if (full > 0) LaneSums.reduce(acc, k0 * L, m, sums);
      // accumulator k is row k / nt, token k % nt: one division per L accumulators
      int i = k0 / nt, t = k0 - i * nt;
      for (int k = 0; k < m; k++) {
        float s = full > 0 ? sums[k] : 0f;
        int xt = xo + t * xStride, wo = i * BLOCK_COLS - lastBlock;
        for (int j = full; j < cols; j++) s = Math.fma(dec[wo + j], x[xt + j], s);
        out[oo + t * outStride + r0 + i * rowStep] = s;
        if (++t == nt) {
          t = 0;
          i++;
        }
      }
    }
  }
}
