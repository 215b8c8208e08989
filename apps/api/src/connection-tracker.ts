import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionTracker {
  /** Closes connections with no request in flight (idle keep-alives, and sockets that never sent one). */
  closeIdle(): void;
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
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      if (inFlight.has(socket)) inFlight.set(socket, Math.max((inFlight.get(socket) ?? 1) - 1, 0));
    });
  });
  return {
    closeIdle() {
      for (const [socket, requests] of inFlight) if (requests === 0) socket.destroy();
    },
    closeAll() {
      for (const socket of inFlight.keys()) socket.destroy();
    },
  };
}
