package dev.paternoster.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a client that closes its connection while its request is still being generated, so the
 * request can be aborted and its KV pages freed (a known failure of other servers, which keep
 * generating for nobody).
 *
 * <p>Jetty only learns that a peer closed when it reads from the socket, and during a request whose
 * body is fully read nobody reads: a non-streaming or still-queued request would never notice. So
 * after the body is read we register our own read interest on the connection's endpoint. When the
 * socket becomes readable we read: end-of-stream means the client is gone. Before the response is
 * written the interest is withdrawn ({@link #close()}), so Jetty's keep-alive handling finds the
 * connection as it left it.
 *
 * <p>Readable data instead of end-of-stream would be a pipelined next request, which real clients
 * do not send to this API; the bytes cannot be given back to Jetty, so the connection is marked to
 * close after this response ({@link #consumedPipelinedData()}) and the client retries on a new one.
 *
 * <p>Only HTTP/1.1 connections are watched; on anything else this is a no-op and disconnects are
 * still detected by failing writes on streams.
 */
final class ClientDisconnect implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClientDisconnect.class);

  private final EndPoint endPoint;
  private final Runnable onDisconnect;
  private final AtomicBoolean disconnected = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean pipelined;
  private final Callback readable = new Callback() {
    @Override
    public void succeeded() {
      onReadable();
    }

    @Override
    public void failed(Throwable x) {
      if (closed.get() || x instanceof CancellationException) return;
      if (x instanceof TimeoutException) {
        rearm(); // idle timeout while the engine works: the client is still there, keep watching
        return;
      }
      fire(x instanceof ClosedChannelException ? "connection closed" : String.valueOf(x));
    }

    @Override
    public InvocationType getInvocationType() {
      return InvocationType.NON_BLOCKING;
    }
  };

  private ClientDisconnect(EndPoint endPoint, Runnable onDisconnect) {
    this.endPoint = endPoint;
    this.onDisconnect = onDisconnect;
  }

  /**
   * Starts watching; call after the request body has been read completely.
   *
   * @param onDisconnect run once, on a Jetty thread, when the client is gone (must not block)
   */
  static ClientDisconnect watch(Context ctx, Runnable onDisconnect) {
    EndPoint ep = null;
    try {
      ServletContextRequest req = ServletContextRequest.getServletContextRequest(ctx.req());
      if (req != null && req.getConnectionMetaData().getConnection() instanceof HttpConnection http
          && http.isRequestBufferEmpty()) {
        ep = http.getEndPoint();
      }
    } catch (RuntimeException e) {
      LOG.debug("cannot watch for client disconnects on this connection", e);
    }
    ClientDisconnect d = new ClientDisconnect(ep, onDisconnect);
    d.rearm();
    return d;
  }

  boolean disconnected() {
    return disconnected.get();
  }

  boolean consumedPipelinedData() {
    return pipelined;
  }

  private void rearm() {
    if (endPoint == null || closed.get()) return;
    if (!endPoint.isOpen()) {
      fire("connection closed");
      return;
    }
    endPoint.tryFillInterested(readable);
  }

  private void onReadable() {
    if (closed.get()) return;
    try {
      ByteBuffer buf = BufferUtil.allocate(512); // Jetty buffers start in flush mode (empty)
      int n = endPoint.fill(buf);
      if (n < 0) {
        fire("end of stream");
      } else if (n == 0) {
        rearm(); // spurious wake-up
      } else {
        pipelined = true;
        LOG.warn("client sent {} bytes of a pipelined request during a generation; the connection closes after this response", n);
      }
    } catch (IOException e) {
      fire(e.toString());
    }
  }

  private void fire(String why) {
    if (disconnected.compareAndSet(false, true)) {
      LOG.info("client disconnected ({}): aborting its request", why);
      onDisconnect.run();
    }
  }

  /** Stops watching and withdraws the read interest before the response is written. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true) || endPoint == null) return;
    if (endPoint instanceof AbstractEndPoint aep && aep.isFillInterested()) {
      aep.getFillInterest().onFail(new CancellationException("response ready"));
    }
  }
}
