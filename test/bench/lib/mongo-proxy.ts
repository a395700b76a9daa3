/**
 * A loopback TCP proxy in front of the MongoDB-compatible server that counts the commands the worker sends.
 *
 * Why a proxy: the worker's own MongoDB command monitoring is inside its process, and FerretDB's per-command
 * Prometheus counters (`/debug/metrics`) are switched off by the local stack (`--debug-addr=-`) and would count the
 * bench's own reads too. A proxy sees exactly the worker's connections, works the same against mongod and FerretDB,
 * and needs no change to the worker: the bench points `MONGODB_URI` at it.
 *
 * It forwards bytes unchanged both ways and parses only the client→server stream's message headers (wire protocol:
 * int32 messageLength, requestID, responseTo, opCode). For OP_MSG (2013) the command name is the first key of the
 * section-0 body document; OP_QUERY (2004, the legacy handshake) and OP_COMPRESSED (2012) are counted by opcode.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

const OP_MSG = 2013;
const OP_QUERY = 2004;
const OP_COMPRESSED = 2012;

/**
 * Not counted as operations: what the driver sends on its own schedule (server monitoring, the worker's watchdog
 * pings) and connection handshakes (the legacy OP_QUERY hello of each new connection).
 */
export const MONITORING_COMMANDS = new Set(['hello', 'ismaster', 'isMaster', 'ping', 'buildInfo', 'buildinfo', 'endSessions', 'OP_QUERY']);

export interface MongoProxy {
  /** A MONGODB_URI equivalent to the target's, through the proxy. */
  uri: string;
  /** Commands seen so far, by name. */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

/** The first key of the BSON document at `offset` (a C string after the element type byte). */
function firstKey(buf: Buffer, offset: number): string {
  const start = offset + 4 + 1;
  const end = buf.indexOf(0, start);
  return end < 0 ? '?' : buf.toString('utf8', start, end);
}

function commandOf(message: Buffer): string {
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) {
    // flagBits (uint32) at 16, then sections; kind 0 is one BSON document, kind 1 a document sequence.
    let offset = 20;
    while (offset < message.length) {
      const kind = message[offset]!;
      if (kind === 0) return firstKey(message, offset + 1);
      const size = message.readInt32LE(offset + 1);
      offset += 1 + size;
    }
    return 'OP_MSG?';
  }
  if (opCode === OP_QUERY) return 'OP_QUERY';
  if (opCode === OP_COMPRESSED) return 'OP_COMPRESSED';
  return `op${opCode}`;
}

export async function startMongoProxy(targetUri: string): Promise<MongoProxy> {
  const target = new URL(targetUri);
  const targetHost = target.hostname;
  const targetPort = Number(target.port || 27017);
  const counts: Record<string, number> = {};
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 16) {
        const length = pending.readInt32LE(0);
        if (length < 16 || pending.length < length) break;
        const name = commandOf(pending.subarray(0, length));
        counts[name] = (counts[name] ?? 0) + 1;
        pending = pending.subarray(length);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const proxied = new URL(targetUri);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return {
    uri: proxied.toString(),
    counts: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Operations in `after` minus `before`, without the monitoring commands; plus the total. */
export function opsBetween(before: Record<string, number>, after: Record<string, number>): { total: number; byCommand: Record<string, number> } {
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const [name, n] of Object.entries(after)) {
    const d = n - (before[name] ?? 0);
    if (d <= 0 || MONITORING_COMMANDS.has(name)) continue;
    byCommand[name] = d;
    total += d;
  }
  return { total, byCommand };
}

/** A proxy running in its own process (mongo-proxy-main.ts); counts are fetched over loopback HTTP. */
export interface RemoteMongoProxy {
  uri: string;
  pid: number;
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function spawnMongoProxy(targetUri: string): Promise<RemoteMongoProxy> {
  const child = Bun.spawn([process.execPath, new URL('./mongo-proxy-main.ts', import.meta.url).pathname, targetUri], { stdout: 'pipe', stderr: 'inherit' });
  const reader = child.stdout.getReader();
  let text = '';
  const deadline = Date.now() + 30_000;
  while (!text.includes('\n')) {
    if (Date.now() > deadline) throw new Error('mongo proxy did not start within 30 s');
    const { value, done } = await reader.read();
    if (done) throw new Error(`mongo proxy exited before it was ready (${text})`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const { uri, countsUrl } = JSON.parse(text.slice(0, text.indexOf('\n'))) as { uri: string; countsUrl: string };
  return {
    uri,
    pid: child.pid,
    counts: async () => (await (await fetch(countsUrl)).json()) as Record<string, number>,
    async close() {
      child.kill('SIGTERM');
      await Promise.race([child.exited, Bun.sleep(5000).then(() => child.kill('SIGKILL'))]);
    },
  };
}
