package dev.paternoster.batch;

import java.util.List;

/** Requests taken from the queue together, and when: the end of each one's queue wait. */
record Batch<I, O>(List<PendingRequest<I, O>> requests, long dispatchedAtNanos) {}
