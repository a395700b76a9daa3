/**
 * The composition root: config → MongoDB → clients → activities → one Temporal connection → one
 * Worker per configured role. Everything is built once here and closed here, in reverse order.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createLlmClient } from '../clients/llm-client';
import { createMediaUploader } from '../clients/media-uploader';
import { createRunwareClient } from '../clients/runware-client';
import { createServiceClients } from '../clients/service-clients';
import { describeConfig, type Config } from '../config/config';
import type { Logger } from '../logger';
import { connectMongo, createRepositories, ensureAllIndexes } from '../repositories';
import { TaskQueues } from '../domain/task-queues';
import { startHealthServer } from './health-server';
import { roleOptions } from './worker-options';

export interface RunningWorker {
  /** Resolves when every worker has stopped (after `shutdown()` or a fatal error). */
  done: Promise<void>;
  /** Stops polling, lets in-flight activities finish within the grace time, then closes pools. */
  shutdown(): void;
}

export interface WorkflowSource {
  /** A prebuilt bundle (production) … */
  bundlePath?: string | undefined;
  /** … or the workflows entry to bundle at start-up (development). */
  workflowsPath?: string | undefined;
}

export async function runWorker(config: Config, log: Logger, source: WorkflowSource): Promise<RunningWorker> {
  log.info('starting worker', { config: describeConfig(config) });
  const mongo = await connectMongo(config.mongo);
  await ensureAllIndexes(mongo.db);
  const repos = createRepositories(mongo.db);
  const services = createServiceClients(config.services);
  const deps = {
    config,
    log,
    repos,
    services,
    llm: createLlmClient({
      baseUrl: config.llm.baseUrl,
      apiKey: config.llm.apiKey,
      timeoutMs: config.llm.timeoutMs,
      ...(config.llm.httpReferer ? { referer: config.llm.httpReferer } : {}),
      ...(config.llm.appTitle ? { appTitle: config.llm.appTitle } : {}),
    }),
    runware: createRunwareClient({ baseUrl: config.images.baseUrl, apiKey: config.images.apiKey, timeoutMs: config.images.timeoutMs }),
    media: createMediaUploader({ media: services.media, httpTimeoutMs: config.images.httpTimeoutMs }),
  };
  const activities = createActivities(deps);

  const connection = await NativeConnection.connect({
    address: config.temporal.address,
    ...(config.temporal.apiKey ? { apiKey: config.temporal.apiKey } : {}),
    ...(config.temporal.tls ? { tls: true } : {}),
  });

  const workers: Worker[] = [];
  try {
    for (const role of config.worker.roles) {
      const workflows =
        role === 'main'
          ? source.bundlePath
            ? { workflowBundle: { codePath: source.bundlePath } }
            : { workflowsPath: source.workflowsPath }
          : {};
      workers.push(
        await Worker.create({
          connection,
          namespace: config.temporal.namespace,
          taskQueue: TaskQueues[role],
          activities: activities[role],
          ...workflows,
          ...roleOptions(role, config),
        }),
      );
    }
  } catch (err) {
    await connection.close();
    await mongo.close();
    throw err;
  }

  const health = config.worker.healthPort
    ? await startHealthServer(config.worker.healthPort, {
        states: () => Object.fromEntries(workers.map((w) => [w.options.taskQueue, w.getState()])),
      })
    : undefined;

  const done = (async () => {
    try {
      await Promise.all(workers.map((w) => w.run()));
    } finally {
      await health?.close().catch(() => {});
      await connection.close().catch(() => {});
      await services.close().catch(() => {});
      await mongo.close().catch(() => {});
      log.info('worker stopped');
    }
  })();
  log.info('worker ready', { roles: config.worker.roles, task_queues: config.worker.roles.map((r) => TaskQueues[r]) });

  return {
    done,
    shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}
