package dev.paternoster.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paternoster.engine.Choice;
import dev.paternoster.engine.FinishReason;
import dev.paternoster.engine.GenerationRequest;
import dev.paternoster.engine.GenerationResult;
import dev.paternoster.engine.RequestHandle;
import dev.paternoster.engine.TokenEvent;
import dev.paternoster.engine.TokenListener;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one generation for an HTTP request: submits it, then either streams its tokens as SSE or
 * waits for the whole result, aborting it if the client goes away.
 *
 * <p>Threads: the engine thread only appends events to the stream's {@link TokenMailbox} (lock-free,
 * unbounded: it must never wait for a slow client); this handler's virtual thread drains it,
 * encodes ({@link ChunkEncoder}) and does all writing.
 */
final class GenerationResponder {
  private static final Logger LOG = LoggerFactory.getLogger(GenerationResponder.class);
  /** How often a quiet stream (queued, long prefill) checks for a disconnect and sends a keep-alive. */
  private static final long KEEPALIVE_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final InFlightRequests inFlight;

  GenerationResponder(InFlightRequests inFlight) {
    this.inFlight = inFlight;
  }

  void respond(Context ctx, ServedModel model, GenerationRequest request, boolean stream, ResponseFormat format)
      throws IOException, InterruptedException {
    TokenMailbox events = new TokenMailbox(Thread.currentThread());
    // Entered before submitting: a shutdown that begins meanwhile still waits for this answer.
    InFlightRequests.Entry entry = inFlight.enter();
    RequestHandle handle;
    try {
      handle = EngineErrors.submit(model, request, stream ? events : TokenListener.NONE);
    } catch (RuntimeException e) {
      inFlight.leave(entry);
      throw e;
    }
    entry.submitted(handle);
    try (ClientDisconnect disconnect = ClientDisconnect.watch(ctx, handle::abort)) {
      if (stream) {
        stream(ctx, handle, events, request.params().n(), format, disconnect);
      } else {
        GenerationResult r = await(handle);
        disconnect.close();
        if (disconnect.disconnected()) return; // nobody to answer
        if (disconnect.consumedPipelinedData()) ctx.header("Connection", "close");
        List<Choice> failed = r.choices().stream().filter(c -> c.finishReason() == FinishReason.ERROR).toList();
        if (!failed.isEmpty()) {
          ApiException e = ApiException.internal("Generation failed inside the engine: " + failed.getFirst().stopReason());
          Responses.jsonNow(ctx, e.status(), ErrorResponse.of(e));
        } else {
          Responses.jsonNow(ctx, 200, format.response(r));
        }
      }
    } finally {
      // Whatever ended this handler (an answer, a failed write, a bug), its request must not run on for nobody.
      if (!handle.result().isDone()) handle.abort();
      inFlight.leave(entry);
    }
  }

  private static GenerationResult await(RequestHandle handle) throws InterruptedException {
    try {
      return handle.result().get();
    } catch (InterruptedException e) {
      handle.abort();
      throw e;
    } catch (ExecutionException e) { // the engine completes results normally; this is a bug
      throw ApiException.internal("Generation failed: " + e.getCause());
    }
  }

  private void stream(Context ctx, RequestHandle handle, TokenMailbox events, int n,
      ResponseFormat format, ClientDisconnect disconnect) throws InterruptedException {
    int finished = 0;
    List<TokenEvent> batch = new ArrayList<>();
    ChunkEncoder encoder = new ChunkEncoder(format);
    try {
      SseWriter sse = SseWriter.open(ctx.res());
      for (ObjectNode o : format.openingChunks(n)) sse.data(o);
      sse.flush();
      while (finished < n) {
        batch.clear();
        events.take(batch, KEEPALIVE_NANOS);
        if (disconnect.disconnected()) return;
        if (batch.isEmpty()) {
          sse.comment("keep-alive");
          continue;
        }
        // Everything already queued goes out in one flush: fewer syscalls when the client is slower than the engine.
        for (TokenEvent e : batch) {
          if (e.isFinal()) finished++;
          if (e.finishReason() == FinishReason.ERROR) {
            sse.data(ErrorResponse.of("Generation failed inside the engine: " + e.stopReason(), "server_error", null, "internal_error"));
            continue;
          }
          byte[] chunk = encoder.encode(e);
          if (chunk != null) sse.raw(chunk);
        }
        sse.flush();
      }
      GenerationResult r = await(handle);
      if (format.includeUsage()) sse.data(format.usageChunk(r));
      disconnect.close(); // before done() completes the response: the client may send its next request at once
      sse.done();
    } catch (IOException e) {
      LOG.info("stream to client failed ({}): aborting request {}", e.getMessage(), handle.id());
      handle.abort();
    }
  }
}
