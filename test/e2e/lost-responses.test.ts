/**
 * Lost responses after commit, end to end: the production worker under Node 24 against the default service
 * stand-ins, which — like the Go services — ignore the idempotency key, so only the worker's reconciliation can
 * keep a retry from creating a second character or post. Each world ends with the services holding exactly one of
 * each thing the worker asked for, and the world's counters agreeing with them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
// World ids are what world-service sends: lower-case UUIDs.
import { randomUUID as newWorldId } from 'node:crypto';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { startWorldHarness, type WorldHarness } from '../support/world-harness';

let h: WorldHarness;

const charactersOf = (worldId: string) => [...h.services.state.characters.values()].filter((c) => c.worldId === worldId);
const postsOf = (worldId: string) => [...h.services.state.posts.values()].filter((p) => p.worldId === worldId);
const callsOf = (method: string, worldId: string) =>
  h.services.calls.filter((c) => c.method === method && (c.request as { worldId?: string }).worldId === worldId);

beforeAll(async () => {
  h = await startWorldHarness();
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await h?.stop();
}, 60_000);

beforeEach(() => {
  h.llm.reset();
  h.images.reset();
  h.services.faults.clear();
});

describe('lost responses after commit, against services that ignore idempotency keys', () => {
  test(
    'CreateAIPost: the response held past the deadline, then a reset stream — each post exists once, counters agree',
    async () => {
      h.services.faults.inject('CreateAIPost', { lostResponse: 'deadline' });
      h.services.faults.inject('CreateAIPost', { lostResponse: 'reset' });
      const worldId = newWorldId();
      await h.startWorld({ world_id: worldId, world_name: 'Generated World', world_prompt: 'A harbour city built on the backs of sleeping turtles.', characters_count: 1, posts_count: 3 });
      const status = await h.waitForWorld(worldId, 180_000);
      expect(status.status).toBe('completed');
      const posts = postsOf(worldId);
      expect(posts).toHaveLength(3);
      expect(new Set(posts.map((p) => p.mediaId)).size).toBe(3);
      expect(callsOf('CreateAIPost', worldId).map((c) => c.outcome).sort()).toEqual(['LOST_RESPONSE', 'LOST_RESPONSE', 'ok']);
      expect(status.posts_created).toBe(posts.length);
      expect(status.posts_failed ?? 0).toBe(0);
      expect(status.users_created).toBe(charactersOf(worldId).length);
      // The frontend's placeholder name gave way to the generated one.
      const name = h.services.state.worlds.get(worldId)?.name;
      expect(name).toBeTruthy();
      expect(name).not.toBe('Generated World');
    },
    240_000,
  );

  test(
    'CreateCharacter: a lost response is recorded as ambiguous and never sent again; the world reports it truthfully',
    async () => {
      h.services.faults.inject('CreateCharacter', { lostResponse: true });
      const worldId = newWorldId();
      await h.startWorld({ world_id: worldId, world_name: 'Turtle Harbour', world_prompt: 'A harbour city built on the backs of sleeping turtles.', characters_count: 2, posts_count: 2 });
      const status = await h.waitForWorld(worldId, 180_000);
      // Both characters exist at the service, but the worker knows the id of only one; it never made a third.
      const characters = charactersOf(worldId);
      expect(characters).toHaveLength(2);
      expect(callsOf('CreateCharacter', worldId)).toHaveLength(2);
      expect(status.users_created).toBe(1);
      expect(status.characters_ambiguous).toBe(1);
      expect(status.users_created + status.characters_ambiguous).toBe(characters.length);
      // The ambiguous one carries its creation key, so an operator can find it in character-service's table.
      const keys = characters.map((c) => JSON.parse(c.meta!).creation_key as string);
      expect(keys.every((k) => k.startsWith(`create-character:${worldId}:character:`))).toBe(true);
      expect(new Set(keys).size).toBe(2);
      // The world says what happened instead of claiming success.
      expect(status.status).toBe('failed');
      expect(String(status.error)).toContain('may have created it');
      const stage = status.stages.find((s: { name: string }) => s.name === 'characters');
      expect(stage.status).toBe('failed');
      expect(stage.reason).toContain('1 may have been created but could not be confirmed');
      // Posts: exactly those of the character the worker knows.
      expect(postsOf(worldId)).toHaveLength(status.posts_created);
      expect(h.services.state.worlds.get(worldId)?.name).toBe('Turtle Harbour');
    },
    240_000,
  );
});
