import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { CLOSE_CODES } from '../media.constants.js';
import type { MediaSession } from './media-session.js';

/**
 * The open media sessions, by socket. Keeps per-call state off the gateway (one gateway serves every call), and lets
 * shutdown finish every session: final analytics are written before the process exits.
 */
@Injectable()
export class MediaSessionRegistry implements BeforeApplicationShutdown {
  private readonly sessions = new Map<WebSocket, MediaSession>();

  add(socket: WebSocket, session: MediaSession): void {
    this.sessions.set(socket, session);
  }

  remove(socket: WebSocket): MediaSession | undefined {
    const session = this.sessions.get(socket);
    this.sessions.delete(socket);
    return session;
  }

  get size(): number {
    return this.sessions.size;
  }

  async beforeApplicationShutdown(): Promise<void> {
    const open = [...this.sessions.entries()];
    this.sessions.clear();
    await Promise.all(
      open.map(async ([socket, session]) => {
        await session.finish('shutdown');
        await closeGracefully(socket);
      }),
    );
  }
}

/**
 * Closes with 1001 and waits (briefly) for the peer's close frame: the adapter terminates whatever is still open
 * right after the shutdown hooks, which Twilio would see as an abnormal 1006.
 */
function closeGracefully(socket: WebSocket, waitMs = 1000): Promise<void> {
  if (socket.readyState !== socket.OPEN) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.close(CLOSE_CODES.goingAway, 'server shutting down');
  });
}
