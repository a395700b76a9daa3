/**
 * The composition root: config → MongoDB → clients → activities → one Temporal connection → one
 * Worker per configured role. Everything is built once here and closed here, in reverse order — and only after
 * every role has stopped (see supervise.ts), so a role's fatal error never closes MongoDB under the others.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createLlmClient } from '../clients/llm-client';
import { createMediaUploader } from '../clients/media-uploader';
import { createRunwareClient } from '../clients/runware-client';
import { createServiceClients } from '../clients/service-clients';
import { describeConfig, type Config } from '../config/config';
import { mongoTarget, namedConnect, namespaceTarget, temporalTarget } from '../config/connection-failure';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { redactActivityFailures } from '../errors';
import type { Logger } from '../logger';
import { activityScopeInterceptor, grpcObserver, instrumentRepositories, type Observability } from '../observability';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../observability/workflow-modules';
import { ALL_COLLECTIONS, connectMongo, createRepositories, ensureIndexes, type MongoHandle } from '../repositories';
import { createRetention, ensureRetentionIndexes, startRetentionSweeper } from '../repositories/retention';
import { TaskQueues } from '../domain/task-queues';
import { startHealthServer } from './health-server';
import { createReadiness } from './readiness';
import { superviseRoles } from './supervise';
import { roleOptions } from './worker-options';

export interface RunningWorker {
  /**
   * Settles when every worker has stopped and the shared clients are closed: resolves after `shutdown()`, rejects
   * with a `RoleFailedError` after a role's fatal error (the other roles were stopped and drained first).
   */
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

export async function runWorker(config: Config, log: Logger, source: WorkflowSource, obs?: Observability): Promise<RunningWorker> {
  log.info('starting worker', { config: describeConfig(config) });
  // The watchdog reconnects a client the driver left wedged after a server restart (see mongo-watchdog.ts).
  const mongo = await namedConnect(mongoTarget(config), () =>
    connectMongo(config.mongo, { watchdog: { log: (level, message, fields) => log[level](message, fields) } }),
  );
  try {
    // Safe when the indexes exist, partly exist, or another worker process is creating them right now.
    await ensureIndexes(mongo.db, ALL_COLLECTIONS, { log: (message, fields) => log.info(message, fields) });
    // TTL indexes on expires_at (MongoDB); FerretDB cannot create them, so the sweeper below deletes instead.
    await ensureRetentionIndexes(mongo.db, { ferretDb: mongo.ferretDb, log: (message, fields) => log.info(message, fields) });
  } catch (err) {
    await mongo.close();
    throw err;
  }
  const plainRepos = createRepositories(mongo.db);
  // World milestones logged and counted, provider calls metered, gRPC calls traced/metered/audited (src/observability).
  const repos = instrumentRepositories(plainRepos, log, obs?.metrics);
  const services = createServiceClients({
    ...config.services,
    interceptors: [grpcObserver({ metrics: obs?.metrics, audit: plainRepos.audit, tracer: obs?.tracing.tracer, log })],
  });
  // FerretDB has no TTL deletion: the sweeper deletes there, by world (retention.ts).
  const retention = createRetention(mongo.db, { afterSettledMs: config.dataSafety.retentionAfterSettledSeconds * 1000, byWorld: mongo.ferretDb });
  const sweeper =
    mongo.ferretDb && config.dataSafety.retentionAfterSettledSeconds > 0
      ? startRetentionSweeper({ retention, intervalMs: config.dataSafety.retentionSweepIntervalMs, log: (level, message, fields) => log[level](message, fields) })
      : undefined;
  const deps = {
    config,
    log,
    contentSafety: config.dataSafety.contentSafety,
    retention,
    repos,
    services,
    llm: createLlmClient({
      baseUrl: config.llm.baseUrl,
      apiKey: config.llm.apiKey,
      timeoutMs: config.llm.timeoutMs,
      provider: config.spend.provider,
      prices: config.spend.llmPrices,
      retryAfterCeilingMs: config.spend.retryAfterCeilingMs,
      ...(config.llm.httpReferer ? { referer: config.llm.httpReferer } : {}),
      ...(config.llm.appTitle ? { appTitle: config.llm.appTitle } : {}),
    }),
    runware: createRunwareClient({
      baseUrl: config.images.baseUrl,
      apiKey: config.images.apiKey,
      timeoutMs: config.images.timeoutMs,
      retryAfterCeilingMs: config.spend.retryAfterCeilingMs,
    }),
    media: createMediaUploader({ media: services.media, httpTimeoutMs: config.images.httpTimeoutMs }),
  };
  const activities = createActivities(deps);

  let connection: NativeConnection | undefined;
  const closeShared = async () => {
    await connection?.close().catch((err: unknown) => log.warn('closing the Temporal connection failed', { error: String(err) }));
    await services.close().catch(() => {});
    await sweeper?.stop().catch(() => {});
    await mongo.close().catch(() => {});
  };

  const workers = new Map<string, Worker>();
  let health: Awaited<ReturnType<typeof startHealthServer>> | undefined;
  try {
    // Address, namespace, API key, TLS/mTLS as @temporalio/envconfig resolves them (src/config/vars/temporal.ts).
    connection = await namedConnect(temporalTarget(config), () => NativeConnection.connect(temporalConnectionOptions(config.temporal)));
    const conn = connection;
    await namedConnect(namespaceTarget(config), () => conn.workflowService.describeNamespace({ namespace: config.temporal.namespace }));
    for (const role of config.worker.roles) {
      const workflows =
        role === 'main'
          ? source.bundlePath
            ? { workflowBundle: { codePath: source.bundlePath } }
            : { workflowsPath: source.workflowsPath }
          : {};
      const tracing = obs?.tracing;
      workers.set(
        role,
        await Worker.create({
          connection,
          namespace: config.temporal.namespace,
          taskQueue: TaskQueues[role],
          activities: activities[role],
          // The last guard before the SDK logs an activity failure or sends it to Temporal: credentials masked.
          // The scope goes first, so every line and audit row written inside (spans and redaction included) names the world.
          interceptors: {
            activity: [activityScopeInterceptor, ...(tracing?.activityInterceptors ?? []), redactActivityFailures],
            ...(role === 'main' && source.workflowsPath && tracing?.enabled ? { workflowModules: [...WORKFLOW_INTERCEPTOR_MODULES] } : {}),
          },
          // The traced bundle's OTel workflow interceptors send their spans through this sink.
          ...(role === 'main' && tracing?.enabled ? { sinks: tracing.sinks } : {}),
          ...workflows,
          ...roleOptions(role, config),
        }),
      );
    }
    if (config.worker.healthPort) {
      const readiness = createReadiness(dependencyProbes(mongo, connection, config), config.worker.healthProbeTimeoutMs);
      health = await startHealthServer(config.worker.healthPort, {
        states: () => Object.fromEntries([...workers.values()].map((w) => [w.options.taskQueue, w.getState()])),
        dependencies: () => readiness.check(),
        ...(obs ? { metrics: () => obs.metricsText() } : {}),
      });
    }
  } catch (err) {
    // Nothing runs yet: the workers were only created, so closing the connection under them is safe.
    await closeShared();
    throw err;
  }

  const done = (async () => {
    try {
      await superviseRoles(workers, log);
    } finally {
      // Every role has stopped (or failed and the others drained): only now close what they share.
      await health?.close().catch(() => {});
      await closeShared();
      log.info('worker stopped');
    }
  })();
  log.info('worker ready', { roles: config.worker.roles, task_queues: config.worker.roles.map((r) => TaskQueues[r]) });

  return {
    done,
    shutdown() {
      for (const w of workers.values()) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}

/** `/readyz` probes through the clients the activities and pollers use. */
function dependencyProbes(mongo: MongoHandle, connection: NativeConnection, config: Config) {
  const timeoutMs = config.worker.healthProbeTimeoutMs;
  return {
    mongodb: () => mongo.ping(timeoutMs),
    temporal: async () => {
      await connection.withDeadline(Date.now() + timeoutMs, () => connection.workflowService.describeNamespace({ namespace: config.temporal.namespace }));
    },
  };
}
