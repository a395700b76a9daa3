import * as v from 'valibot';
import { requiredText, text, textList } from './common';

export const CharacterConceptSchema = v.strictObject({
  concept: requiredText('The character concept in 2–4 sentences: who they are, what drives them, what makes them unique.'),
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

export const CharacterConnectionSchema = v.strictObject({
  character1_name: text('concept_short of the first character.'),
  character2_name: text('concept_short of the second character.'),
  connection_type: text('Kind of connection: family, friends, colleagues, rivals, neighbours, …'),
  description: text('How the two characters are connected.'),
});

export const SharedStorySchema = v.strictObject({
  characters_involved: textList('concept_short of each character involved.'),
  title: text('Title of the story or event.'),
  story: text('What happens.'),
  location: text('Where it happens.'),
  genre: text('Genre or kind of event (festival, scandal, romance, mystery, …).'),
});

export const CharacterBatchSchema = v.strictObject({
  characters: v.pipe(v.array(CharacterConceptSchema), v.description('The requested character concepts.')),
  world_interpretation: text('How these characters together show the world: the overall picture they paint.'),
  character_connections: v.pipe(
    v.array(CharacterConnectionSchema),
    v.description('Relationships between characters of this batch (and earlier ones, if relevant).'),
  ),
  common_stories_and_events: v.pipe(
    v.array(SharedStorySchema),
    v.description('Stories and events several characters take part in and may post about.'),
  ),
  generated_characters_description: text('A 1–3 paragraph summary of the characters created in this answer.'),
});

export type CharacterConcept = v.InferOutput<typeof CharacterConceptSchema>;
export type CharacterConnection = v.InferOutput<typeof CharacterConnectionSchema>;
export type SharedStory = v.InferOutput<typeof SharedStorySchema>;
export type CharacterBatch = v.InferOutput<typeof CharacterBatchSchema>;
