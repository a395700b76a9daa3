import * as v from 'valibot';
import { requiredText, text, textList } from './common';

export const PostConceptSchema = v.strictObject({
  topic: requiredText('The topic of the post in a few words; distinct from the other posts.'),
  content_brief: requiredText('What the post says or shows, in 1–3 sentences.'),
  emotional_tone: text('Emotional tone: joyful, anxious, ironic, nostalgic, …'),
  post_type: text('Kind of post: personal, news, question, announcement, review, humour, …'),
  relevance_to_character: text('Why this character would post this.'),
});

export const PostBatchSchema = v.strictObject({
  posts: v.pipe(v.array(PostConceptSchema), v.description('The requested post concepts.')),
  narrative_arc: text('The story arc some of these posts form, if any.'),
  character_development: text('How the character is revealed or changes across these posts.'),
  posting_schedule: textList('Rough timing of the posts (e.g. "morning, day 1").'),
  recurring_themes: textList('Themes that recur in the feed of the character.'),
});

export type PostConcept = v.InferOutput<typeof PostConceptSchema>;
export type PostBatch = v.InferOutput<typeof PostBatchSchema>;
