package dev.paternoster.server;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Jetty's {@link ServerConnector}, made to leave no accepted socket open after the server stops.
 *
 * <p>Jetty accepts on one thread and hands the socket to its selector; its stop closes the
 * listening socket, interrupts the accepting thread, closes the connections its selector knows,
 * then the selector, without waiting for the accepting thread. A socket accepted at that moment
 * was left open, never read and never closed, and its client waited for an answer that never came:
 *
 * <ul>
 *   <li>the hand-off reached the selector after it had closed its connections, or after it had
 *       stopped (queued to a selector that never runs again), or once the selector manager had
 *       dropped its selectors (the hand-off threw, and nobody closed the socket);
 *   <li>the interrupt landed while the JDK's {@code accept()} completed: it then throws {@code
 *       ClosedByInterruptException} for a socket the kernel has already accepted, and nothing ever
 *       closes that socket.
 * </ul>
 *
 * <p>So this connector never interrupts the accepting thread (closing the listening socket wakes
 * it), tracks every socket from the moment {@code accept()} returns it until Jetty reports it
 * closed, closes it itself when the hand-off fails, and {@link #closeLeftovers()}, called after
 * Jetty's stop, closes whatever is still open and every socket accepted after that.
 */
final class TrackingConnector extends ServerConnector implements SelectorManager.AcceptListener {
  private final Set<SelectableChannel> open = ConcurrentHashMap.newKeySet();
  private volatile boolean stopped;
  /** Test hook: runs on the accepting thread after a socket is accepted, before Jetty takes it. */
  volatile Consumer<SelectableChannel> onAccepted;

  TrackingConnector(Server server, ConnectionFactory... factories) {
    super(server, factories);
    getSelectorManager().addEventListener(this);
  }

  /** What {@link ServerConnector#accept(int)} does, with the socket tracked from the moment it exists. */
  @Override
  public void accept(int acceptorID) throws IOException {
    if (!(getTransport() instanceof ServerSocketChannel server) || !server.isOpen()) return;
    SocketChannel channel = server.accept();
    if (channel == null) return;
    open.add(channel);
    try {
      Consumer<SelectableChannel> hook = onAccepted;
      if (hook != null) hook.accept(channel);
      // closeLeftovers() sets stopped before it reads the set: it saw this socket, or this sees stopped.
      if (stopped) {
        close(channel);
        return;
      }
      channel.configureBlocking(false);
      configure(channel.socket());
      getSelectorManager().accept(channel);
    } catch (IOException | RuntimeException | Error e) {
      close(channel); // a hand-off that failed would otherwise leave it open
      throw e;
    }
  }

  /** No interrupt (see the class comment): Jetty's stop closes the listening socket first, which wakes the accepting thread. */
  @Override
  protected void interruptAcceptors() {}

  @Override
  public void onAcceptFailed(SelectableChannel channel, Throwable cause) {
    open.remove(channel);
  }

  @Override
  public void onClosed(SelectableChannel channel) {
    open.remove(channel);
  }

  /** Sockets accepted and not yet closed. */
  int openSockets() {
    return open.size();
  }

  /** After Jetty's stop: closes every socket it left open, and from now on each one as it is accepted. */
  int closeLeftovers() {
    stopped = true;
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
      // closing was all we wanted
    }
  }
}
