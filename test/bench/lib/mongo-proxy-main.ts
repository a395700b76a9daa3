/**
 * The counting MongoDB proxy (mongo-proxy.ts) in a process of its own, so that forwarding the worker's commands
 * never waits behind the bench process's own work (the stand-ins, history fetches, builds): in-process, the proxy
 * would add the bench's event-loop delays to every database operation and so to W.
 *
 *   bun test/bench/lib/mongo-proxy-main.ts <target MONGODB_URI>
 *
 * Prints one JSON line `{ "uri": …, "countsUrl": … }`; `GET countsUrl` answers the command counts so far.
 */
import { createServer } from 'node:http';
import { startMongoProxy } from './mongo-proxy';

const target = process.argv[2];
if (!target) {
  console.error('usage: mongo-proxy-main.ts <target MONGODB_URI>');
  process.exit(2);
}
const proxy = await startMongoProxy(target);
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(proxy.counts()));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
const port = (server.address() as { port: number }).port;
console.log(JSON.stringify({ uri: proxy.uri, countsUrl: `http://127.0.0.1:${port}/counts` }));
const stop = () => {
  server.close();
  void proxy.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
