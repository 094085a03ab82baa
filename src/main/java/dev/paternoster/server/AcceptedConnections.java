package dev.paternoster.server;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.eclipse.jetty.io.SelectorManager;

/**
 * Every socket the connector accepted and Jetty has not closed yet, so that shutdown can close the
 * ones Jetty's stop leaves open.
 *
 * <p>Jetty accepts on one thread and hands the socket to its selector on another. Its stop closes
 * the listening socket, then the connections its selector knows, then the selector; it does not
 * wait for the accepting thread. A socket accepted just before the listening socket closed can
 * therefore reach the selector after it stopped closing connections (or after it stopped): Jetty
 * never reads it and never closes it, and its client waits for an answer that never comes. After
 * Jetty's stop, {@link #closeAll()} closes whatever is left, and any socket still on its way is
 * closed as it arrives.
 */
final class AcceptedConnections implements SelectorManager.AcceptListener {
  private final Set<SelectableChannel> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;
  /** Test hook: runs on the accepting thread after a socket is registered, before Jetty hands it on. */
  volatile Consumer<SelectableChannel> onAccepting;

  @Override
  public void onAccepting(SelectableChannel channel) {
    open.add(channel);
    Consumer<SelectableChannel> hook = onAccepting;
    if (hook != null) hook.accept(channel);
    // closeAll() sets closed before it looks at the set: either it saw this socket, or this sees closed.
    if (closed) close(channel);
  }

  @Override
  public void onAcceptFailed(SelectableChannel channel, Throwable cause) {
    open.remove(channel);
  }

  @Override
  public void onClosed(SelectableChannel channel) {
    open.remove(channel);
  }

  /** Sockets accepted and not yet closed by Jetty. */
  int size() {
    return open.size();
  }

  /** After Jetty stopped: closes every socket it left open, and from now on each one as it is accepted. */
  int closeAll() {
    closed = true;
    int n = 0;
    for (SelectableChannel c : open) {
      if (c.isOpen()) n++;
      close(c);
    }
    return n;
  }

  private void close(SelectableChannel channel) {
    open.remove(channel);
    try {
      channel.close();
    } catch (IOException e) {
      // closing is all we wanted
    }
  }
}
