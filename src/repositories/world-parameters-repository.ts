/**
 * `world_parameters`: the world description the LLM produced, stored whole under `params` (see the schema's note).
 * @module
 */
import type { Db } from 'mongodb';
import { collectionOf, validatePatch } from './define-collection';
import { WorldParametersCollection, type WorldParameters } from './collections';
import { NotFoundError } from './errors';

const stringOrNull = (x: unknown): string | null => (typeof x === 'string' && x !== '' ? x : null);

/** Repository for `world_parameters`. */
export function createWorldParametersRepository(db: Db) {
  const col = collectionOf(db, WorldParametersCollection);

  async function get(worldId: string): Promise<WorldParameters | null> {
    return col.findOne({ _id: worldId });
  }

  return {
    /**
     * Upserts the parameters: `params`, `name`, `language` and `updated_at` on every save, `created_at` on the first
     * only (spec 15.34).
     */
    async save(worldId: string, params: Record<string, unknown>): Promise<WorldParameters> {
      const now = new Date();
      const prefs = params['user_preferences'];
      const $set = validatePatch(WorldParametersCollection, {
        params,
        name: stringOrNull(params['name']),
        language: stringOrNull(
          typeof prefs === 'object' && prefs !== null ? (prefs as Record<string, unknown>)['language'] : undefined,
        ),
        updated_at: now,
      });
      const doc = await col.findOneAndUpdate(
        { _id: worldId },
        { $set, $setOnInsert: { created_at: now } },
        { upsert: true, returnDocument: 'after' },
      );
      return doc ?? require(worldId);
    },
    get,
    require,
  };

  async function require(worldId: string): Promise<WorldParameters> {
    const doc = await get(worldId);
    if (!doc) throw new NotFoundError(WorldParametersCollection.name, worldId, 'world parameters for world');
    return doc;
  }
}

export type WorldParametersRepository = ReturnType<typeof createWorldParametersRepository>;
