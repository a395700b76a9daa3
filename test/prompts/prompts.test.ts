import { describe, expect, test } from 'bun:test';
import {
  buildAvatarPrompt,
  buildCharacterBatchPrompt,
  buildCharacterDetailPrompt,
  buildPostBatchPrompt,
  buildPostDetailPrompt,
  buildPostImagePrompt,
  buildWorldDescriptionPrompt,
  buildWorldImagePrompt,
  renderCharacter,
  renderWorld,
  renderWorldForFeed,
  type PromptMessages,
} from '../../src/prompts';
import type { WorldDescription } from '../../src/schemas/llm';
import { character, concept, postConcept, postDetail, world } from './fixtures';

const all = (m: PromptMessages) => `${m.system}\n${m.user}`;

function expectClean(text: string) {
  expect(text).not.toContain('[object Object]');
  expect(text).not.toMatch(/\bundefined\b/);
  expect(text).not.toMatch(/\bnull\b/);
  expect(text).not.toMatch(/\bNone\b/);
  expect(text).not.toMatch(/[\u0400-\u04FF]/); // no Cyrillic: prompts are English
}

function expectRequestedCount(m: PromptMessages, n: number) {
  // The test stand-in reads the first /exactly (\d+)/i of the prompt to decide how many items to return.
  expect(all(m).match(/exactly (\d+)/i)?.[1]).toBe(String(n));
  expect(m.user.match(/exactly (\d+)/i)?.[1]).toBe(String(n));
}

const characterBatchBase = {
  world,
  batchSize: 7,
  postsForBatch: 30,
  batchIndex: 1,
  totalCharacters: 25,
  alreadyGenerated: 10,
  futureCount: 8,
  previousSummary: 'Old sailor — harbour master; gruff, loyal\nYoung baker — apprentice; shy',
};

const postBatchBase = {
  world,
  concept,
  character,
  batchSize: 4,
  batchIndex: 0,
  totalPosts: 12,
  alreadyGenerated: 0,
  futureCount: 8,
  previousSummary: '',
};

describe('renderWorld / renderCharacter', () => {
  test('renders the world as labelled readable text, skipping empty values', () => {
    const text = renderWorld(world);
    expectClean(text);
    expect(text).toContain('World name: Marea Alta');
    expect(text).toContain('Language: Spanish');
    expect(text).toContain('Common activities: pescar, reparar redes, cantar en el muelle');
    expect(text).toContain('Typical stories: un farolero pierde su luz; una boda en barca, con tormenta');
    expect(text).toContain('Additional details:\n  Climate: Templado y húmedo');
    expect(text).toContain('  Other details: los gatos viajan gratis en los barcos');
    expect(text).not.toMatch(/^ *Technology: *$/m); // empty additional detail skipped
    expect(text).not.toContain('{');
    expect(text).not.toContain('"');
  });

  test('tolerates persisted records with extra or missing keys', () => {
    const partial = { ...world, _id: 'abc', created_at: new Date(0), additional_details: undefined, theme: null } as unknown as WorldDescription;
    const text = renderWorld(partial);
    expectClean(text);
    expect(text).not.toContain('abc');
    expect(text).not.toContain('Additional details');
    expect(text).not.toContain('Theme');
  });

  test('renders a character; the secret only on request', () => {
    const text = renderCharacter(character);
    expectClean(text);
    expect(text).toContain('Name: Lucía Mareas (@lucia.faros)');
    expect(text).toContain('Usual topics: faros, tormentas, el gremio');
    expect(text).toContain('Relationships: tomas_red (amigo): Pescador que le trae piezas.');
    expect(text).not.toContain(character.secret);
    expect(renderCharacter(character, { includeSecret: true })).toContain(character.secret);
  });
});

describe('prompt builders', () => {
  test('world description: user idea, language of the user, no world yet', () => {
    const m = buildWorldDescriptionPrompt({ userPrompt: '  Un pueblo costero donde las mareas mandan  ' });
    expectClean(m.system);
    expect(m.user).toContain('<idea>\nUn pueblo costero donde las mareas mandan\n</idea>');
    expect(m.user).toContain('in the language the user wrote the idea in');
    expect(m.user).toContain('user_preferences.language');
    expect(m.user).toContain('100 characters');
  });

  test('world image: English, readable world visuals', () => {
    const m = buildWorldImagePrompt({ world });
    expectClean(all(m));
    expect(all(m)).toContain('English');
    expect(m.user).toContain('Visual style: Acuarela luminosa, turquesas y ocres');
  });

  test('character batch: exactly N, language, world, previous summary, plan', () => {
    const m = buildCharacterBatchPrompt(characterBatchBase);
    expectClean(all(m));
    expectRequestedCount(m, 7);
    expect(m.user).toContain('in Spanish');
    expect(m.user).toContain(renderWorld(world));
    expect(m.user).toContain(characterBatchBase.previousSummary);
    expect(m.user).toContain('25 characters in total');
    expect(m.user).toContain('batch 2');
    expect(m.user).toContain('10 characters were created in earlier batches');
    expect(m.user).toContain('8 more will be created');
    expect(m.user).toContain('add up to 30');
  });

  test('character batch: first batch has no previous block; top-up lists accepted concepts', () => {
    const first = buildCharacterBatchPrompt({ ...characterBatchBase, batchIndex: 0, alreadyGenerated: 0, previousSummary: '' });
    expectClean(all(first));
    expect(first.user).not.toContain('<previous_characters>');
    const topUp = buildCharacterBatchPrompt({
      ...characterBatchBase,
      batchSize: 2,
      existingConcepts: ['Reparadora de faros soñadora', 'Pescador de perlas'],
    });
    expectRequestedCount(topUp, 2);
    expect(topUp.user).toContain('- Reparadora de faros soñadora\n- Pescador de perlas');
    expect(topUp.user).toContain('do not repeat');
  });

  test('character detail: the concept reaches the prompt (spec 15.24)', () => {
    const m = buildCharacterDetailPrompt({ world, concept });
    expectClean(all(m));
    expect(m.user).toContain(concept.concept);
    expect(m.user).toContain(concept.concept_short);
    expect(m.user).toContain(concept.role_in_world);
    expect(m.user).toContain('tenaz, irónica');
    expect(m.user).toContain('mecánica, astronomía');
    expect(m.user).toContain('in Spanish');
    expect(m.user).toContain('3–30 Latin letters');
    expect(m.user).toContain(renderWorld(world));
    // The profile writes the portrait's final prompt (release 0.3: no separate avatar-prompt call).
    expect(m.user).toContain('avatar_prompt: the final English image prompt');
  });

  test('avatar: English, based on the avatar description and appearance', () => {
    const m = buildAvatarPrompt({ world, character });
    expectClean(all(m));
    expect(m.user).toContain(character.avatar_description);
    expect(m.user).toContain(character.appearance);
    expect(m.user).toContain('in English');
    expect(m.user).not.toContain(character.secret);
  });

  test('post batch: exactly N, language, character, previous summary, secret as hidden context', () => {
    const m = buildPostBatchPrompt({
      ...postBatchBase,
      batchIndex: 1,
      alreadyGenerated: 4,
      futureCount: 4,
      previousSummary: 'La lente nueva — personal, emocionada: Lucía muestra una lente',
    });
    expectClean(all(m));
    expectRequestedCount(m, 4);
    expect(m.user).toContain('in Spanish');
    expect(m.user).toContain('La lente nueva — personal, emocionada');
    expect(m.user).toContain('Usual topics: faros, tormentas, el gremio');
    expect(m.user).toContain(character.secret);
    expect(m.user).toContain('never revealed outright');
    expect(m.user).toContain(renderWorldForFeed(world));
  });

  test('post batch: the first batch is planned from the concept alone, before the profile exists', () => {
    const m = buildPostBatchPrompt({ ...postBatchBase, character: null });
    expectClean(all(m));
    expectRequestedCount(m, 4);
    expect(m.user).toContain(concept.concept);
    expect(m.user).toContain('Role in the world: farolera independiente');
    expect(m.user).toContain('in Spanish');
    expect(m.user).not.toContain(character.secret);
    // Only what a feed needs of the world: its long description and history shaped the concept already.
    expect(m.user).toContain(world.common_activities[0]!);
    expect(m.user).not.toContain(world.history);
  });

  test('post batch: first batch and top-up', () => {
    const first = buildPostBatchPrompt(postBatchBase);
    expectClean(all(first));
    expect(first.user).not.toContain('<previous_posts>');
    const topUp = buildPostBatchPrompt({ ...postBatchBase, batchSize: 1, existingTopics: ['La lente nueva'] });
    expectRequestedCount(topUp, 1);
    expect(topUp.user).toContain('- La lente nueva');
  });

  test('post detail: concept, secret handled, language, English image prompt', () => {
    const m = buildPostDetailPrompt({ world, character, concept: postConcept });
    expectClean(all(m).replaceAll('or null', '')); // the instructions legitimately allow null fields
    expect(m.user).toContain(postConcept.topic);
    expect(m.user).toContain(postConcept.content_brief);
    expect(m.user).toContain(postConcept.relevance_to_character);
    expect(m.user).toContain(character.secret);
    expect(m.user).toContain('never stated');
    expect(m.user).toContain('in Spanish');
    // The picture's final prompt comes from this call (release 0.3: no prompt-polishing call after it).
    expect(m.user).toContain('image_prompt: the picture, in English, 100–250 words');
    expect(m.user).toContain('in English');
    expect(m.user).toContain(character.appearance);
    expect(m.user).toContain(character.avatar_style);
    // The post needs the world's brief, not all of it.
    expect(m.user).toContain(world.visual_style!);
    expect(m.user).not.toContain(world.history);
  });

  test('post image: draft prompt, no "None" style, English', () => {
    const m = buildPostImagePrompt({ world, character, post: postDetail });
    expectClean(all(m));
    expect(m.user).toContain(postDetail.image_prompt);
    expect(m.user).toContain(postDetail.content);
    expect(m.user).toContain('use the visual style of the world');
    expect(m.user).toContain('in English');
    const styled = buildPostImagePrompt({ world, character, post: { ...postDetail, image_style: 'oil painting' } as typeof postDetail });
    expect(styled.user).toContain('Requested style: oil painting');
  });

  test('a world without a language falls back to the world description language', () => {
    const noLanguage = { ...world, user_preferences: { language: ' ', other_preferences: [] } };
    const m = buildCharacterDetailPrompt({ world: noLanguage, concept });
    expectClean(all(m));
    expect(m.user).toContain('in the same language as the world description');
  });

  test('builders are deterministic', () => {
    expect(buildPostDetailPrompt({ world, character, concept: postConcept })).toEqual(
      buildPostDetailPrompt({ world, character, concept: postConcept }),
    );
  });
});
