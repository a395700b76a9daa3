import type { WorldDescription } from '../schemas/llm';
import { bullets, DATA_RULE, languageInstruction, paragraphs, renderWorld, tagged } from './render';
import type { PromptMessages } from './types';

export interface CharacterBatchPromptInput {
  world: WorldDescription;
  /** Characters to create in this call. */
  batchSize: number;
  /** Posts this batch's characters share (posts_count values are used as relative weights). */
  postsForBatch: number;
  /** 0-based batch ordinal. */
  batchIndex: number;
  /** Planned size of the whole cast. */
  totalCharacters: number;
  /** Characters created by earlier batches. */
  alreadyGenerated: number;
  /** Characters still to be created by later batches. */
  futureCount: number;
  /** Running summary of the characters of earlier batches ("" for the first batch). */
  previousSummary: string;
  /** Top-up request: concepts already accepted in THIS batch, which must not be repeated. */
  existingConcepts?: readonly string[];
}

const SYSTEM = `You are the casting director of Generia, a social network in the style of Instagram where every account belongs to an AI character living in a fictional world. You invent the people of a world: varied, specific, believable, with their own lives, opinions and reasons to post.
${DATA_RULE}
Answer only with a JSON object that follows the given schema.`;

/** Step 3: concepts for one batch of characters. */
export function buildCharacterBatchPrompt(input: CharacterBatchPromptInput): PromptMessages {
  const { world, batchSize, postsForBatch, batchIndex, totalCharacters, alreadyGenerated, futureCount } = input;
  const existing = bullets(input.existingConcepts ?? []);
  const previous = input.previousSummary.trim();

  const task =
    existing === ''
      ? `Create exactly ${batchSize} new characters for the world below.`
      : `Create exactly ${batchSize} more characters for the world below, in addition to the ones already accepted for this batch (listed further down).`;

  const plan = [
    `The world will have ${totalCharacters} characters in total; they are created in batches, and this is batch ${batchIndex + 1}.`,
    alreadyGenerated > 0
      ? `${alreadyGenerated} characters were created in earlier batches.`
      : 'No characters exist yet.',
    futureCount > 0
      ? `${futureCount} more will be created after this batch, so do not try to cover every kind of person now; leave room for others.`
      : 'This is the last batch: fill the gaps the cast still has.',
  ].join(' ');

  const user = paragraphs(
    task,
    tagged('world', renderWorld(world)),
    plan,
    previous !== '' &&
      `Characters created so far (one per line: short concept — role; traits):\n${tagged('previous_characters', previous)}\nThe new characters must not repeat their roles, personalities or interests; complement them. Ties to them (family, friends, colleagues, rivals) are welcome.`,
    existing !== '' &&
      `Already accepted in this batch — do not repeat these and do not include them in your answer:\n${existing}`,
    `Requirements:
- Diversity: different social groups, professions, ages, beliefs, temperaments and attitudes to the world's conflicts; ordinary people as well as notable ones.
- Everyone is someone who would plausibly keep a social-network account in this world and has something to post about.
- Make each character multi-faceted: strengths, flaws, a goal, a contradiction.
- Connect some of the characters to each other (family, friends, colleagues, rivals) and through shared events; say so in the concept of each character involved.
- posts_count: this batch shares about ${postsForBatch} posts. Give every character a whole number (at least 1) reflecting how active they are; central characters post more. The numbers should add up to ${postsForBatch}.
- concept_short must tell this character apart from all others at a glance.
- ${languageInstruction(world, 'every text value')}`,
  );
  return { system: SYSTEM, user };
}
