/* eslint-disable @typescript-eslint/no-explicit-any -- a stand-in handles arbitrary wire JSON; its request records expose it untyped for tests. */
/**
 * Runware REST stand-in: `POST /` takes a JSON array of tasks (imageInference only), answers
 * `{ data: [...] }` with image URLs served by itself (`GET /images/<imageUUID>.<ext>`, real PNG /
 * JPEG / WEBP bytes with the right Content-Type). Every imageInference POST is recorded; faults are queued.
 *
 * Like Runware, a render is finished (and billed) even when the client has gone away, and it is remembered by
 * `taskUUID`: a `getResponse` task answers with the finished render (`status: "success"`), `status: "processing"`
 * while it runs, or the task's error (`status: "error"` in `errors`). Runware does not document the answer for a
 * UUID it never saw; the stand-in answers 400 with an `errors` entry without a status (our client reads any answer
 * without the UUID as "unknown"). `getResponse` requests are free, take no faults and are recorded in `lookups`,
 * so `requests` stays the list of paid renders.
 *
 * Content safety: a task that asks for Runware's check (`safety.checkContent`, `safety.mode` fast|full, or the older
 * `checkNSFW`) gets `NSFWContent` on each result, `false` unless a rule set with `flagContent` marks it `true` (the
 * image is still returned, as Runware does: the flag informs, the caller decides). Without the check the field is
 * absent. By default nothing is flagged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { hashString } from '../json-from-schema';
import { describeFault, FaultQueue, listen, readBody, sendJson, Sleeper } from '../http-util';
import { makePng, TINY_JPEG, TINY_WEBP } from './images';

export type RunwareFault =
  | { status: number; retryAfter?: number | string; body?: unknown }
  /** 200 with an `errors` array. */
  | { errors: true; code?: string; message?: string }
  | { delayMs: number }
  /** Success, but the imageURL 404s. */
  | { brokenImageUrl: true }
  /** The render is made and billed, then the connection is reset before the answer (a reply lost in transit). */
  | { dropResponse: true };

export interface RunwareRequestRecord {
  at: number;
  tasks: any[];
  /** 0 until answered. */
  status: number;
  fault?: string;
  /** Sum of the costs reported in the answer (null when none was reported). */
  cost: number | null;
  /** Date.now() when the answer (or error) was sent; unset while pending or when the connection was dropped. */
  endedAt?: number;
}

type Latency = number | ((tasks: any[]) => number);

/** Which renders the safety check flags: those `match` accepts (default all), the first `times` of them (default all). */
export interface ContentFlagRule {
  match?: (task: any) => boolean;
  times?: number;
}

/** Whether the task asked for Runware's content check (current `safety` object or the older `checkNSFW`). */
function checksContent(task: any): boolean {
  const safety = task?.safety;
  if (safety && typeof safety === 'object') {
    // Runware: `mode` takes precedence over `checkContent` when both are given.
    if (safety.mode !== undefined) return safety.mode === 'fast' || safety.mode === 'full';
    return safety.checkContent === true;
  }
  return task?.checkNSFW === true;
}

export interface RunwareStandInOptions {
  port?: number;
  latencyMs?: Latency;
  /** @default 0.0013 */
  costPerImage?: number;
  /** Report `cost` when a task has includeCost. @default true */
  reportCost?: boolean;
  /** If set, only `Bearer <requireApiKey>` is accepted; otherwise any non-empty bearer token. */
  requireApiKey?: string;
}

export interface RunwareStandIn {
  /** REST endpoint, e.g. `http://127.0.0.1:PORT/v1`. */
  url: string;
  /** imageInference requests (the paid ones). */
  requests: RunwareRequestRecord[];
  /** getResponse requests: the task UUID asked for and what was answered. */
  lookups: { at: number; taskUUID: string; answer: 'success' | 'processing' | 'error' | 'unknown' }[];
  /** What the stand-in remembers per taskUUID (answer items of finished renders, or the error). */
  tasks: Map<string, { status: 'processing' } | { status: 'success'; data: unknown[] } | { status: 'error'; error: RunwareApiError }>;
  images: Map<string, { bytes: Uint8Array; contentType: string }>;
  faults: { push(fault: RunwareFault, times?: number): void; clear(): void };
  /** Makes the safety check flag renders (`NSFWContent: true`); `undefined` flags nothing again (the default). */
  flagContent(rule: ContentFlagRule | undefined): void;
  /** imageUUIDs of the renders the safety check flagged. */
  flagged: Set<string>;
  /** imageUUIDs whose bytes were fetched (`GET /images/…`), in order. */
  downloads: string[];
  setLatency(ms: Latency): void;
  reset(): void;
  close(): Promise<void>;
}

const UUIDISH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FORMATS = {
  JPG: { ext: 'jpg', contentType: 'image/jpeg' },
  PNG: { ext: 'png', contentType: 'image/png' },
  WEBP: { ext: 'webp', contentType: 'image/webp' },
} as const;
type Format = keyof typeof FORMATS;
const CONTENT_TYPE_BY_EXT: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

export interface RunwareApiError {
  code: string;
  message: string;
  parameter?: string;
  taskType?: string;
  taskUUID?: string;
}

function validateTask(task: any): RunwareApiError | undefined {
  const base = { taskType: typeof task?.taskType === 'string' ? task.taskType : undefined, taskUUID: task?.taskUUID };
  const bad = (parameter: string, message: string): RunwareApiError => ({
    code: `invalid${parameter.charAt(0).toUpperCase()}${parameter.slice(1)}`,
    message,
    parameter,
    ...base,
  });
  if (typeof task !== 'object' || task === null) return { code: 'invalidTask', message: 'Each task must be an object.' };
  if (task.taskType === 'getResponse') {
    return typeof task.taskUUID === 'string' && UUIDISH.test(task.taskUUID) ? undefined : bad('taskUUID', 'taskUUID must be a UUID v4.');
  }
  if (task.taskType !== 'imageInference') return bad('taskType', `Unsupported taskType '${String(task.taskType)}'.`);
  if (typeof task.taskUUID !== 'string' || !UUIDISH.test(task.taskUUID)) return bad('taskUUID', 'taskUUID must be a UUID v4.');
  if (typeof task.positivePrompt !== 'string' || task.positivePrompt.trim().length < 2) {
    return bad('positivePrompt', 'positivePrompt must be a string of at least 2 characters.');
  }
  if (task.negativePrompt !== undefined && typeof task.negativePrompt !== 'string') {
    return bad('negativePrompt', 'negativePrompt must be a string.');
  }
  if (typeof task.model !== 'string' || task.model === '') return bad('model', 'model (AIR id) is required.');
  for (const dim of ['width', 'height'] as const) {
    const v = task[dim];
    if (!Number.isInteger(v) || v < 128 || v > 2048) return bad(dim, `${dim} must be an integer between 128 and 2048.`);
  }
  if (task.outputFormat !== undefined && !(task.outputFormat in FORMATS)) {
    return bad('outputFormat', 'outputFormat must be one of JPG, PNG, WEBP.');
  }
  if (task.outputType !== undefined && task.outputType !== 'URL') {
    return bad('outputType', 'this stand-in only supports outputType URL.');
  }
  if (task.numberResults !== undefined && (!Number.isInteger(task.numberResults) || task.numberResults < 1 || task.numberResults > 4)) {
    return bad('numberResults', 'numberResults must be an integer between 1 and 4.');
  }
  return undefined;
}

function bytesFor(format: Format, task: any): Uint8Array {
  if (format === 'PNG') {
    const h = hashString(String(task.positivePrompt));
    // Keep generated PNGs small: at most 256×256 (the real size is in the request record).
    const w = Math.min(256, task.width as number);
    const hh = Math.min(256, task.height as number);
    return makePng(w, hh, [64 + (h & 0x7f), 64 + ((h >> 8) & 0x7f), 64 + ((h >> 16) & 0x7f)]);
  }
  return format === 'JPG' ? TINY_JPEG : TINY_WEBP;
}

export async function startRunwareStandIn(opts: RunwareStandInOptions = {}): Promise<RunwareStandIn> {
  const requests: RunwareRequestRecord[] = [];
  const lookups: RunwareStandIn['lookups'] = [];
  const known: RunwareStandIn['tasks'] = new Map();
  const images = new Map<string, { bytes: Uint8Array; contentType: string }>();
  const faults = new FaultQueue<RunwareFault>();
  const sleeper = new Sleeper();
  let latency: Latency = opts.latencyMs ?? 0;
  let flagRule: { match?: (task: any) => boolean; left: number } | undefined;
  const flagged = new Set<string>();
  const downloads: string[] = [];
  const flags = (task: any): boolean => {
    if (!flagRule || flagRule.left <= 0 || (flagRule.match && !flagRule.match(task))) return false;
    flagRule.left -= 1;
    return true;
  };
  let origin = '';

  function serveImage(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    const m = /^\/images\/([^/.]+)\.(jpg|png|webp)$/.exec(pathname);
    const image = m ? images.get(m[1]!) : undefined;
    if (!m || !image || CONTENT_TYPE_BY_EXT[m[2]!] !== image.contentType) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found');
      return;
    }
    if (req.method === 'GET') downloads.push(m[1]!);
    res.writeHead(200, { 'content-type': image.contentType, 'content-length': image.bytes.byteLength });
    res.end(req.method === 'HEAD' ? undefined : Buffer.from(image.bytes));
  }

  function answerLookups(req: IncomingMessage, res: ServerResponse, tasks: any[]): void {
    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (!token || (opts.requireApiKey !== undefined && token !== opts.requireApiKey)) {
      sendJson(res, 401, { errors: [{ code: 'invalidApiKey', message: 'Invalid or missing API key.' }] });
      return;
    }
    const invalid = tasks.map(validateTask).filter((e): e is RunwareApiError => e !== undefined);
    if (invalid.length > 0) {
      sendJson(res, 400, { errors: invalid });
      return;
    }
    const data: unknown[] = [];
    const errors: unknown[] = [];
    for (const task of tasks) {
      const state = known.get(task.taskUUID);
      lookups.push({ at: Date.now(), taskUUID: task.taskUUID, answer: state?.status ?? 'unknown' });
      if (!state) errors.push({ code: 'taskNotFound', message: 'No task with this taskUUID.', taskType: 'getResponse', taskUUID: task.taskUUID });
      else if (state.status === 'processing') data.push({ taskType: 'imageInference', taskUUID: task.taskUUID, status: 'processing' });
      else if (state.status === 'success') data.push(...state.data.map((d) => ({ ...(d as object), status: 'success' })));
      else errors.push({ ...state.error, status: 'error' });
    }
    const unknownOnly = data.length === 0 && errors.every((e) => (e as { status?: string }).status !== 'error');
    sendJson(res, unknownOnly ? 400 : 200, { ...(data.length > 0 ? { data } : {}), ...(errors.length > 0 ? { errors } : {}) });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', 'http://stand-in');
    if ((req.method === 'GET' || req.method === 'HEAD') && pathname.startsWith('/images/')) {
      serveImage(req, res, pathname);
      return;
    }
    if (req.method !== 'POST' || !['/', '/v1', '/v1/'].includes(pathname)) {
      sendJson(res, 404, { errors: [{ code: 'notFound', message: `No route for ${req.method} ${pathname}` }] });
      return;
    }
    const raw = await readBody(req);
    let tasks: any;
    try {
      tasks = JSON.parse(raw);
    } catch {
      tasks = undefined;
    }
    if (Array.isArray(tasks) && tasks.length > 0 && tasks.every((t: any) => t?.taskType === 'getResponse')) {
      answerLookups(req, res, tasks);
      return;
    }
    const record: RunwareRequestRecord = { at: Date.now(), tasks: Array.isArray(tasks) ? tasks : [], status: 0, cost: null };
    requests.push(record);
    const reply = (status: number, payload: unknown, headers?: Record<string, string>) => {
      record.status = status;
      record.endedAt = Date.now();
      sendJson(res, status, payload, headers);
    };

    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (!token || (opts.requireApiKey !== undefined && token !== opts.requireApiKey)) {
      reply(401, { errors: [{ code: 'invalidApiKey', message: 'Invalid or missing API key.' }] });
      return;
    }
    if (!Array.isArray(tasks) || tasks.length === 0) {
      reply(400, { errors: [{ code: 'invalidRequest', message: 'The body must be a non-empty JSON array of tasks.' }] });
      return;
    }
    const errors = tasks.map(validateTask).filter((e): e is RunwareApiError => e !== undefined);
    if (errors.length > 0) {
      reply(400, { errors });
      return;
    }

    const fault = faults.take();
    record.fault = describeFault(fault);
    for (const task of tasks) known.set(task.taskUUID, { status: 'processing' });
    const base = typeof latency === 'function' ? latency(tasks) : latency;
    await sleeper.sleep(base + (fault && 'delayMs' in fault ? fault.delayMs : 0));

    if (fault && 'status' in fault) {
      const code = fault.status === 429 ? 'rateLimit' : 'serverError';
      for (const task of tasks) known.set(task.taskUUID, { status: 'error', error: { code, message: `Stand-in error ${fault.status}`, taskType: task.taskType, taskUUID: task.taskUUID } });
      if (res.destroyed) return;
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      reply(fault.status, fault.body ?? { errors: [{ code, message: `Stand-in error ${fault.status}` }] }, headers);
      return;
    }
    if (fault && 'errors' in fault) {
      const errors = tasks.map((t: any) => ({
        code: fault.code ?? 'provider',
        message: fault.message ?? 'The inference provider failed to process the task.',
        taskType: t.taskType,
        taskUUID: t.taskUUID,
      }));
      for (const e of errors) known.set(e.taskUUID, { status: 'error', error: e });
      if (res.destroyed) return;
      reply(200, { errors });
      return;
    }

    const data: unknown[] = [];
    for (const task of tasks) {
      const format: Format = task.outputFormat ?? 'JPG';
      const { ext, contentType } = FORMATS[format];
      const own: unknown[] = [];
      const checked = checksContent(task);
      for (let i = 0; i < (task.numberResults ?? 1); i++) {
        const imageUUID = randomUUID();
        images.set(imageUUID, { bytes: bytesFor(format, task), contentType });
        const broken = fault && 'brokenImageUrl' in fault;
        const nsfw = checked && flags(task);
        if (nsfw) flagged.add(imageUUID);
        own.push({
          taskType: 'imageInference',
          taskUUID: task.taskUUID,
          imageUUID,
          imageURL: `${origin}/images/${broken ? `missing-${imageUUID}` : imageUUID}.${ext}`,
          seed: hashString(`${task.positivePrompt}|${i}`) % 2_147_483_647,
          ...(checked ? { NSFWContent: nsfw } : {}),
          ...(task.includeCost && (opts.reportCost ?? true) ? { cost: opts.costPerImage ?? 0.0013 } : {}),
        });
      }
      known.set(task.taskUUID, { status: 'success', data: own });
      data.push(...own);
    }
    const costs = data.map((d) => (d as { cost?: unknown }).cost).filter((c): c is number => typeof c === "number");
    // Billed whether or not the answer reaches the client.
    record.cost = costs.length > 0 ? costs.reduce((a, b) => a + b, 0) : null;
    if (res.destroyed) return;
    if (fault && 'dropResponse' in fault) {
      res.socket?.destroy();
      return;
    }
    reply(200, { data });
  }

  const server = await listen((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, { errors: [{ code: 'serverError', message: (err as Error).message }] });
      else res.destroy();
    });
  }, opts.port ?? 0);
  origin = `http://127.0.0.1:${server.port}`;

  return {
    url: `${origin}/v1`,
    requests,
    lookups,
    tasks: known,
    images,
    faults: { push: (f, times = 1) => faults.push(f, times), clear: () => faults.clear() },
    flagContent(rule) {
      flagRule = rule ? { ...(rule.match ? { match: rule.match } : {}), left: rule.times ?? Number.POSITIVE_INFINITY } : undefined;
    },
    flagged,
    downloads,
    setLatency(ms) {
      latency = ms;
    },
    reset() {
      requests.length = 0;
      lookups.length = 0;
      known.clear();
      images.clear();
      faults.clear();
      flagged.clear();
      downloads.length = 0;
      flagRule = undefined;
    },
    async close() {
      sleeper.cancelAll();
      await server.close();
    },
  };
}
