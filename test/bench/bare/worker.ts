/**
 * The bare Temporal worker for the hop benchmark, run under Node 24 like the real one (Node strips the types):
 *
 *   node test/bench/bare/worker.ts   (TEMPORAL_ADDRESS, BARE_TASK_QUEUE)
 *
 * SDK defaults except what a fair comparison needs: the same Temporal server and namespace, one task queue.
 */
import { NativeConnection, Worker } from '@temporalio/worker';

const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const taskQueue = process.env.BARE_TASK_QUEUE ?? 'bench-bare';

const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  namespace: 'default',
  taskQueue,
  workflowsPath: new URL('./workflows.ts', import.meta.url).pathname,
  activities: { noop: async () => {} },
});
process.on('SIGTERM', () => worker.shutdown());
const running = worker.run();
console.log('bare worker ready');
await running;
await connection.close();
