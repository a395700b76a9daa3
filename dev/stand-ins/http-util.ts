/** Small node:http helpers shared by the provider stand-ins (work under Node and Bun). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export function readBody(req: IncomingMessage, limit = 5 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** A sleep that `cancelAll` ends early (so `close()` never waits for a pending fault delay). */
export class Sleeper {
  private pending = new Set<{ timer: ReturnType<typeof setTimeout>; resolve: () => void }>();

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.pending.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.pending.add(entry);
    });
  }

  cancelAll(): void {
    for (const e of this.pending) {
      clearTimeout(e.timer);
      e.resolve();
    }
    this.pending.clear();
  }
}

/** A FIFO of faults with repeat counts. */
/**
 * Faults applied in order to the next requests. A fault may carry a matcher so that it waits for
 * the request it is meant for (e.g. one schema name) while unrelated concurrent requests pass.
 */
export class FaultQueue<F, R = unknown> {
  private queue: { fault: F; matches: (request: R) => boolean }[] = [];
  push(fault: F, times = 1, matches: (request: R) => boolean = () => true): void {
    for (let i = 0; i < times; i++) this.queue.push({ fault, matches });
  }
  clear(): void {
    this.queue = [];
  }
  /** The first queued fault whose matcher accepts this request (removed from the queue). */
  take(request?: R): F | undefined {
    const index = this.queue.findIndex((q) => request === undefined || q.matches(request));
    if (index < 0) return undefined;
    return this.queue.splice(index, 1)[0]!.fault;
  }
  get size(): number {
    return this.queue.length;
  }
}

export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port = 0,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

export function describeFault(fault: object | undefined): string | undefined {
  if (!fault) return undefined;
  return Object.entries(fault)
    .map(([k, v]) => (v === true ? k : `${k}:${typeof v === 'object' ? JSON.stringify(v) : String(v)}`))
    .join(',');
}
