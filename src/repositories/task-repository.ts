/**
 * `tasks`: one record per unit of work, keyed by a deterministic id chosen by the caller (world id + position), so
 * a retried creation finds the existing task instead of leaving orphans (spec 15.12).
 * @module
 */
import type { Db, Filter, UpdateFilter } from 'mongodb';
import { collectionOf, validateDoc, validatePatch } from './define-collection';
import { TaskCollection, type Task, type TaskStatus } from './collections';
import { isDuplicateKeyError, NotFoundError } from './errors';

export interface CreateTaskInput {
  id: string;
  type: string;
  worldId: string;
  parentId?: string | null;
  parameters?: Record<string, unknown>;
}

/** Repository for `tasks`. */
/**
 * The stored result of one step of a task (`result.<step>`).
 * @throws NotFoundError naming the task and step when the step has not stored a result yet.
 */
export function resultOfStep<T>(task: Task, step: string): T {
  const value = (task.result as Record<string, unknown> | null)?.[step];
  if (value === undefined || value === null) throw new NotFoundError(TaskCollection.name, `${task._id} result.${step}`, 'step result');
  return value as T;
}

export function createTaskRepository(db: Db) {
  const col = collectionOf(db, TaskCollection);

  async function get(id: string): Promise<Task | null> {
    return col.findOne({ _id: id });
  }
  async function require(id: string): Promise<Task> {
    const task = await get(id);
    if (!task) throw new NotFoundError(TaskCollection.name, id, 'task');
    return task;
  }
  /** Sets fields on a task matching `filter`; returns the updated task, or the current one when `filter` excluded it. */
  async function setWhere(id: string, filter: Filter<Task>, patch: Partial<Task>, incAttempt = false): Promise<Task> {
    const $set = { ...validatePatch(TaskCollection, patch), updated_at: new Date() };
    const updated = await col.findOneAndUpdate(
      { ...filter, _id: id },
      incAttempt ? { $set, $inc: { attempt_count: 1 } } : { $set },
      { returnDocument: 'after' },
    );
    return updated ?? require(id);
  }

  return {
    get,
    /** @throws NotFoundError naming the task id. */
    require,

    /** Inserts the task unless one with this id exists; returns the stored task either way. */
    async createIfAbsent(input: CreateTaskInput): Promise<{ created: boolean; task: Task }> {
      const now = new Date();
      const task = validateDoc(TaskCollection, {
        _id: input.id,
        type: input.type,
        world_id: input.worldId,
        parent_id: input.parentId ?? null,
        parameters: input.parameters ?? {},
        created_at: now,
        updated_at: now,
      });
      try {
        await col.insertOne(task);
        return { created: true, task };
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        return { created: false, task: await require(input.id) };
      }
    },

    /**
     * Marks an attempt as started (status in_progress, attempt_count + 1) from pending or in_progress (a retry).
     * A finished task — completed or failed — is returned unchanged: a task ends once. This matters because
     * workflows begin a task *beside* its first step (off the critical path), so a step that fails fast can record
     * `failed` before the begin lands; the late begin must not turn the failed record back to in_progress.
     */
    start(id: string): Promise<Task> {
      const from: TaskStatus[] = ['pending', 'in_progress'];
      return setWhere(id, { status: { $in: from } }, { status: 'in_progress', error: null }, true);
    },

    /** Memoizes an intermediate step result without finishing the task. */
    saveResult(id: string, result: Record<string, unknown>): Promise<Task> {
      return setWhere(id, {}, { result });
    },

    /** {@link resultOfStep} of the task with this id. */
    async requireStepResult<T>(id: string, step: string): Promise<T> {
      return resultOfStep<T>(await require(id), step);
    },

    /**
     * Stores one step's result under `result.<step>` without touching the other steps' results, so
     * steps of the same task that finish concurrently (header and icon images) cannot overwrite each other.
     */
    async saveStepResult(id: string, step: string, raw: unknown): Promise<void> {
      const value = withoutNul(raw);
      // A dotted $set cannot descend into `null`. Most steps are their task's first: one write then creates the
      // result object with this step in it; only a later step takes the dotted write (2 round trips before, always).
      const now = new Date();
      const first = await col.updateOne({ _id: id, result: null }, { $set: { result: { [step]: value }, updated_at: now } });
      if (first.matchedCount === 1) return;
      const updated = await col.updateOne({ _id: id }, { $set: { [`result.${step}`]: value, updated_at: now } } as UpdateFilter<Task>);
      if (updated.matchedCount === 0) throw new NotFoundError(TaskCollection.name, id, 'task');
    },

    /** Marks the task completed (optionally storing its result). */
    complete(id: string, result?: Record<string, unknown>): Promise<Task> {
      return setWhere(id, {}, { status: 'completed', error: null, ...(result !== undefined ? { result } : {}) });
    },

    /** Marks the task failed with a reason; a completed task stays completed. */
    fail(id: string, error: string): Promise<Task> {
      return setWhere(id, { status: { $ne: 'completed' } }, { status: 'failed', error });
    },

    /** Tasks of a world (optionally of one type), oldest first. */
    listByWorld(worldId: string, type?: string): Promise<Task[]> {
      const filter: Filter<Task> = type === undefined ? { world_id: worldId } : { world_id: worldId, type };
      return col.find(filter).sort({ created_at: 1, _id: 1 }).toArray();
    },
  };
}

export type TaskRepository = ReturnType<typeof createTaskRepository>;

/**
 * A step's value with U+0000 removed from every string. A model can put `\u0000` in its JSON; MongoDB stores it, but
 * a PostgreSQL-backed store (FerretDB's PostgreSQL backend; the Go services' Postgres, see service-limits.ts) refuses
 * it, and the write would fail on every retry. Generated text loses nothing by it; later steps and child tasks take
 * their text from here, so none of them meets the character either.
 */
function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
  if (Array.isArray(value)) return value.map(withoutNul);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNul(v)]));
  }
  return value;
}
