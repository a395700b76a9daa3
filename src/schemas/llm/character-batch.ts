import * as v from 'valibot';
import { requiredText, text, textList } from './common';

export const CharacterConceptSchema = v.strictObject({
  concept: requiredText(
    'The character concept in 2–4 sentences: who they are, what drives them, what makes them unique, and their ties to other characters of the cast or shared events, if any.',
  ),
  concept_short: requiredText('The character concept in one short sentence; distinct from every other character.'),
  role_in_world: requiredText('The role of the character in the world (occupation, social position).'),
  posts_count: v.pipe(
    v.number(),
    v.integer(),
    v.minValue(0),
    v.description('How many posts this character makes, relative to the others: more active characters get more.'),
  ),
  personality_traits: textList('Key personality traits.'),
  interests: textList('Interests and hobbies.'),
});

// No separate connections, shared stories or "world interpretation": no later step read them. Ties between characters
// and shared events live in each concept, which the character's profile and posts are written from.
export const CharacterBatchSchema = v.strictObject({
  characters: v.pipe(v.array(CharacterConceptSchema), v.description('The requested character concepts.')),
  generated_characters_description: text('A 1–3 paragraph summary of the characters created in this answer.'),
});

export type CharacterConcept = v.InferOutput<typeof CharacterConceptSchema>;
export type CharacterBatch = v.InferOutput<typeof CharacterBatchSchema>;
