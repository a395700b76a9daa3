import * as v from 'valibot';
import { requiredText } from './common';

export const AvatarPromptSchema = v.strictObject({
  prompt: requiredText('The optimised English image-generation prompt for the character portrait.'),
});

export const PostImagePromptSchema = v.strictObject({
  prompt: requiredText('The optimised English image-generation prompt for the picture of the post.'),
});

export type AvatarPrompt = v.InferOutput<typeof AvatarPromptSchema>;
export type PostImagePrompt = v.InferOutput<typeof PostImagePromptSchema>;
