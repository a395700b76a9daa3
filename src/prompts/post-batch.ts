import type { CharacterConcept, CharacterDetail, WorldDescription } from '../schemas/llm';
import { bullets, DATA_RULE, inlineData, languageInstruction, paragraphs, renderCharacter, renderCharacterConcept, renderWorldForFeed, tagged } from './render';
import type { PromptMessages } from './types';

export interface PostBatchPromptInput {
  world: WorldDescription;
  /** The character's concept from its batch: enough to plan a feed, and known before the profile is written. */
  concept: CharacterConcept;
  /** The full profile, when it already exists (later batches); the first batch is planned alongside it. */
  character?: CharacterDetail | null;
  /** Post concepts to create in this call. */
  batchSize: number;
  /** 0-based batch ordinal for this character. */
  batchIndex: number;
  /** Planned number of posts of this character. */
  totalPosts: number;
  /** Posts conceived in earlier batches. */
  alreadyGenerated: number;
  /** Posts still to be conceived by later batches. */
  futureCount: number;
  /** Running summary of the posts of earlier batches ("" for the first batch). */
  previousSummary: string;
  /** Top-up request: topics already accepted in THIS batch, which must not be repeated. */
  existingTopics?: readonly string[];
}

const SYSTEM = `You plan the social-media feed of a character on Generia, a social network in the style of Instagram where every account belongs to an AI character living in a fictional world. Feeds feel lived-in: everyday moments, small dramas, opinions and events of the world, each post with a picture.
${DATA_RULE}
Answer only with a JSON object that follows the given schema.`;

/**
 * Step 6: post concepts for one batch of a character's feed. The first batch is planned from the character's concept,
 * at the same time as the profile is written (the posts are then written from the profile), so planning the feed
 * no longer waits for the profile.
 */
export function buildPostBatchPrompt(input: PostBatchPromptInput): PromptMessages {
  const { world, concept, character, batchSize, batchIndex, totalPosts, alreadyGenerated, futureCount } = input;
  const existing = bullets(input.existingTopics ?? []);
  const previous = input.previousSummary.trim();
  // The name is model output used inside the instructions: kept to one line without markup.
  const name = (character ? inlineData(character.display_name) || inlineData(character.username) : '') || 'the character below';

  const task =
    existing === ''
      ? `Create exactly ${batchSize} post ideas for the feed of ${name}.`
      : `Create exactly ${batchSize} more post ideas for the feed of ${name}, in addition to the ones already accepted for this batch (listed further down).`;

  const plan = [
    `The character will publish ${totalPosts} posts in total; they are planned in batches, and this is batch ${batchIndex + 1}.`,
    alreadyGenerated > 0 ? `${alreadyGenerated} posts were planned in earlier batches.` : 'No posts exist yet.',
    futureCount > 0
      ? `${futureCount} more will be planned after this batch.`
      : 'This is the last batch: bring open story lines to a satisfying point.',
  ].join(' ');

  const user = paragraphs(
    task,
    tagged('character', character ? renderCharacter(character, { includeSecret: true }) : renderCharacterConcept(concept)),
    tagged('world', renderWorldForFeed(world)),
    plan,
    previous !== '' &&
      `Posts planned so far (one per line: topic — kind, tone: brief):\n${tagged('previous_posts', previous)}\nDo not repeat them; continue their story lines where it makes sense.`,
    existing !== '' &&
      `Already accepted in this batch — do not repeat these and do not include them in your answer:\n${existing}`,
    `Requirements:
- Part of the posts form a story arc that gradually reveals the character; the rest are standalone posts typical of the platform: daily life, work, problems, joys, relationships and the world's events, true to its culture.
- Vary the kind of post (personal moment, news, question to followers, review, throwback, humour, announcement, …) and the emotional tone, with a few unexpected ones.
- Each idea can be shown in a picture and is specific to this character (many others post in this world too).
${character ? '- The secret may colour some posts indirectly but is never revealed outright.\n' : ''}- ${languageInstruction(world, 'every text value')}`,
  );
  return { system: SYSTEM, user };
}
