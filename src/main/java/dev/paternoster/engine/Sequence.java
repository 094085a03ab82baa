package dev.paternoster.engine;

import java.util.SplittableRandom;

/**
 * One choice of one request as the scheduler sees it: its tokens (prompt, then output), how many of
 * them are in the KV cache, and which pages hold them.
 *
 * <p>Tokens are never removed, only appended, so everything derived from a token prefix (page
 * content hashes, the sampler's random stream position) stays valid across preemption.
 */
final class Sequence {
  enum Status {
    /** Queued: never admitted, preempted, or an n > 1 sibling not yet released. */
    WAITING,
    /** Admitted: holds KV pages, scheduled every step it fits. */
    RUNNING,
    FINISHED
  }

  final RequestState request;
  final int choiceIndex;
  final int promptLen;
  /** Prompt then output; sized for prompt + max_tokens up front so it never grows. */
  final int[] tokens;

  int numTokens;
  /** Tokens whose keys and values are in the KV cache; the next step computes from here. */
  int numComputed;

  Status status = Status.WAITING;

  /** KV pages holding positions {@code [i * pageSize, (i + 1) * pageSize)}, in order. */
  final int[] blockTable;

  int numPages;
  /** Content hash of each full page (chained), computed lazily; valid forever (tokens only grow). */
  final long[] pageHashes;

  int numHashed;
  /** Leading pages of the block table known to the prefix cache (hit or registered by us). */
  int numCachedPages;

  /** Order of the latest admission: under FCFS the newest admission is the preemption victim. */
  long admitOrder;

  /** This sequence's own random stream: its samples do not depend on batch neighbours. */
  final SplittableRandom rng;

  final ChoiceOutput output;

  Sequence(RequestState request, int choiceIndex, int pageSize, SplittableRandom rng, ChoiceOutput output) {
    this.request = request;
    this.choiceIndex = choiceIndex;
    int[] prompt = request.request().promptIds();
    this.promptLen = prompt.length;
    int capacity = promptLen + request.params().maxTokens();
    this.tokens = new int[capacity];
    System.arraycopy(prompt, 0, tokens, 0, promptLen);
    this.numTokens = promptLen;
    int maxPages = (capacity + pageSize - 1) / pageSize;
    this.blockTable = new int[maxPages];
    this.pageHashes = new long[maxPages];
    this.rng = rng;
    this.output = output;
  }

  void append(int token) {
    tokens[numTokens++] = token;
  }

  int numOutput() {
    return numTokens - promptLen;
  }

  /** Tokens known but not yet in the KV cache. */
  int numUncomputed() {
    return numTokens - numComputed;
  }

  /** Only the newest sampled token is missing, and the prompt is done: a decode step. */
  boolean isDecoding() {
    return numTokens - numComputed == 1 && numComputed >= promptLen;
  }

  boolean isFinished() {
    return status == Status.FINISHED;
  }

  String id() {
    return request.id();
  }

  @Override
  public String toString() {
    return request.id() + "#" + choiceIndex + "[" + status + " " + numComputed + "/" + numTokens + "]";
  }
}
