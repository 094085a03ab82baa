package dev.paternoster.engine;

import java.util.List;

/**
 * One sampled token with its raw-model log-probability ({@code NaN} when not requested) and the top
 * alternatives (null when not requested).
 */
record Sample(int token, float logprob, List<TokenLogprob> top) {}
