import * as v from 'valibot';
import { requiredText, textList } from './common';

/**
 * What post-service stores (caption and tags) plus the final prompt of the post's picture. The picture's prompt is
 * written here, by the call that writes the post, instead of by a later call that polished a draft: one dependent
 * LLM call less before the image, and the prompt is written with the post's own intent in view. The original's
 * mood, context, mentions, location, time of day and image style were inputs of that later call only; no service
 * stores them, so they are no longer asked for.
 */
export const PostDetailSchema = v.strictObject({
  content: requiredText('The full text of the post, in the voice of the character.'),
  image_prompt: requiredText(
    'Final English prompt for the image model: the picture attached to the post — subject, setting, composition, camera ' +
      'angle or medium, lighting, atmosphere and art style; visual directions only, no names, captions or lettering.',
  ),
  hashtags: textList('Hashtags for the post, without the leading #.'),
});

export type PostDetail = v.InferOutput<typeof PostDetailSchema>;
