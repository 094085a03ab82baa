package dev.paternoster.engine;

/** One token and its log-probability (natural log, of the raw model distribution). */
public record TokenLogprob(int tokenId, float logprob) {}
