import * as v from 'valibot';
import { requiredText, text } from './common';

export const PostConceptSchema = v.strictObject({
  topic: requiredText('The topic of the post in a few words; distinct from the other posts.'),
  content_brief: requiredText('What the post says or shows, in 1–3 sentences.'),
  emotional_tone: text('Emotional tone: joyful, anxious, ironic, nostalgic, …'),
  post_type: text('Kind of post: personal, news, question, announcement, review, humour, …'),
  relevance_to_character: text('Why this character would post this.'),
});

// Only the concepts: the arc, schedule and themes the original also asked for were never read by a later step
// (the arc shows in the concepts themselves, which carry it into each post).
export const PostBatchSchema = v.strictObject({
  posts: v.pipe(v.array(PostConceptSchema), v.description('The requested post concepts.')),
});

export type PostConcept = v.InferOutput<typeof PostConceptSchema>;
export type PostBatch = v.InferOutput<typeof PostBatchSchema>;
