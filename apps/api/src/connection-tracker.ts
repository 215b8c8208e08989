import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionTracker {
  /**
   * Closes connections with no request in flight (idle keep-alives, and sockets that
   * never sent one) now, and every other one as soon as its requests are answered:
   * a keep-alive client must not hold the server open until the grace period ends.
   */
  closeWhenIdle(): void;
  /** Closes every connection, requests in flight included. */
  closeAll(): void;
}

/**
 * Knows which sockets have a request in flight. Node's own closeIdleConnections()
 * misses a socket that connected but never sent a request (HTTP clients open such
 * spare connections), and a server that waits for it stops only when the client
 * gives up, up to a minute later.
 */
export function trackConnections(server: Server): ConnectionTracker {
  const inFlight = new Map<Socket, number>();
  let closing = false;
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      if (!inFlight.has(socket)) return;
      const left = Math.max((inFlight.get(socket) ?? 1) - 1, 0);
      inFlight.set(socket, left);
      // end(), not destroy(): the answer may still sit in the socket's buffer.
      if (closing && left === 0) socket.end();
    });
  });
  return {
    closeWhenIdle() {
      closing = true;
      for (const [socket, requests] of inFlight) if (requests === 0) socket.destroy();
    },
    closeAll() {
      for (const socket of inFlight.keys()) socket.destroy();
    },
  };
}
