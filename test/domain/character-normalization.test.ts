/**
 * Generated text fitted to what the services store, deterministically (a retry sends the same thing).
 */
import { describe, expect, test } from 'bun:test';
import {
  characterCreation,
  normalizeCharacterDetail,
  normalizeUsername,
  usernameCandidates,
  USERNAME_CANDIDATES,
} from '../../src/domain/character-normalization';
import { chooseWorldName, isPlaceholderWorldName } from '../../src/domain/world-name';
import { clipCodePoints, storablePost, storableText } from '../../src/domain/service-limits';
import { BIO_MAX, DISPLAY_NAME_MAX, USERNAME_MAX, USERNAME_PATTERN, type CharacterDetail } from '../../src/schemas/llm';

const detail = (over: Partial<CharacterDetail> = {}): CharacterDetail => ({
  username: 'mira.salt',
  display_name: 'Mira Saltglass',
  bio: 'Caravan cartographer.',
  background_story: 'Born in a storm.',
  personality: 'Curious',
  appearance: 'Tall, sun-burnt',
  interests: ['maps'],
  speaking_style: 'terse',
  common_topics: ['dunes'],
  avatar_description: 'portrait',
  avatar_style: 'photo',
  avatar_prompt: 'portrait prompt',
  relationships: [],
  secret: 'none',
  daily_routine: 'walks',
  ...over,
});

describe('storable text', () => {
  test('NUL and other C0 controls go (Postgres TEXT/JSONB refuse NUL); tabs, newlines and emoji stay', () => {
    expect(storableText('a\u0000b\u0007c\td\ne\u{1F30A}')).toBe('abc\td\ne\u{1F30A}');
    expect(storableText('x\uD800y')).toBe('xy');
  });
  test('clipping counts characters, never splits a surrogate pair', () => {
    expect(clipCodePoints('\u{1F30A}'.repeat(5), 3)).toBe('\u{1F30A}'.repeat(3));
  });
  test('posts: caption cleaned, empty tags dropped', () => {
    expect(storablePost({ caption: 'hi\u0000 there', tags: ['dunes', ' ', 'gl\u0000ass'] })).toEqual({ caption: 'hi there', tags: ['dunes', 'glass'] });
  });
});

describe('normalizeCharacterDetail', () => {
  test('an over-long display name and bio are cut to the limits; NUL removed everywhere, also deep in meta', () => {
    const long = detail({
      display_name: `  ${'Ж'.repeat(150)}  `,
      bio: 'b'.repeat(500),
      relationships: [{ username: 'x\u0000y', relationship_type: 'friend', description: 'd' }],
    });
    const n = normalizeCharacterDetail(long, 0);
    expect([...n.display_name]).toHaveLength(DISPLAY_NAME_MAX);
    expect([...n.bio]).toHaveLength(BIO_MAX);
    expect(n.relationships[0]?.username).toBe('xy');
    expect(JSON.stringify(n)).not.toContain('\\u0000');
  });

  test('same input, same output (a retry sends exactly what the first attempt sent)', () => {
    const d = detail({ display_name: 'José  Núñez\u0000', username: 'José Núñez!' });
    expect(normalizeCharacterDetail(d, 3)).toEqual(normalizeCharacterDetail(structuredClone(d), 3));
    expect(characterCreation(normalizeCharacterDetail(d, 3), 'jose', 'k')).toEqual(characterCreation(normalizeCharacterDetail(d, 3), 'jose', 'k'));
  });

  test('an empty display name falls back to the username', () => {
    expect(normalizeCharacterDetail(detail({ display_name: ' \u0000 ' }), 0).display_name).toBe('mira.salt');
  });
});

describe('usernames', () => {
  test('forced into 3–30 of [A-Za-z0-9_.]: transliterated, else from the display name, else from the position', () => {
    expect(normalizeUsername('José Núñez!', 'x', 0)).toBe('Jose_Nunez');
    expect(normalizeUsername('@@', 'Анна', 4)).toBe('character_5');
    expect(normalizeUsername('—', 'Mira Salt', 0)).toBe('Mira_Salt');
    const long = normalizeUsername('a'.repeat(80), '', 0);
    expect(long).toHaveLength(USERNAME_MAX);
    for (const u of [long, normalizeUsername('..a..b__', '', 0)]) expect(u).toMatch(USERNAME_PATTERN);
  });

  test('candidates: the name, then suffixed with the position; distinct, valid, deterministic', () => {
    const c = usernameCandidates('mira', 6);
    expect(c.slice(0, 3)).toEqual(['mira', 'mira_7', 'mira_7_2']);
    expect(c).toHaveLength(USERNAME_CANDIDATES);
    expect(new Set(c.map((x) => x.toLowerCase())).size).toBe(c.length);
    const full = usernameCandidates('z'.repeat(30), 11);
    for (const x of full) {
      expect(x.length).toBeLessThanOrEqual(USERNAME_MAX);
      expect(x).toMatch(USERNAME_PATTERN);
    }
    expect(usernameCandidates('mira', 6)).toEqual(c);
    // Two characters that asked for the same name never compete for the same second choice.
    expect(usernameCandidates('mira', 2)[1]).not.toBe(usernameCandidates('mira', 6)[1]);
  });

  test('meta carries the creation key and the unique username', () => {
    const n = normalizeCharacterDetail(detail(), 0);
    const meta = JSON.parse(characterCreation(n, 'mira.salt_1', 'create-character:w:character:0').meta);
    expect(meta).toMatchObject({ username: 'mira.salt_1', creation_key: 'create-character:w:character:0', display_name: 'Mira Saltglass' });
  });
});

describe('world name', () => {
  test("the frontend's placeholder and an empty name give way to the generated name", () => {
    expect(chooseWorldName('Generated World', 'Saltglass Reach')).toBe('Saltglass Reach');
    expect(chooseWorldName('  generated   WORLD ', 'Saltglass Reach')).toBe('Saltglass Reach');
    expect(chooseWorldName('', 'Saltglass Reach')).toBe('Saltglass Reach');
    expect(chooseWorldName(undefined, 'Saltglass Reach')).toBe('Saltglass Reach');
    expect(isPlaceholderWorldName('Generated World')).toBe(true);
  });
  test('a name the user chose is kept (fitted to VARCHAR(100))', () => {
    expect(chooseWorldName('Glass Dunes', 'Saltglass Reach')).toBe('Glass Dunes');
    expect(chooseWorldName('My Generated World', 'Saltglass Reach')).toBe('My Generated World');
    expect([...chooseWorldName('é'.repeat(140), 'x')]).toHaveLength(100);
  });
  test('with no generated name, the placeholder stays rather than sending nothing useful', () => {
    expect(chooseWorldName('Generated World', '')).toBe('Generated World');
    expect(chooseWorldName('', '  ')).toBe('');
  });
});
