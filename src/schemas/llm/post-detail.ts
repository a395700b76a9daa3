import * as v from 'valibot';
import { nullableText, requiredText, text, textList } from './common';

export const PostDetailSchema = v.strictObject({
  content: requiredText('The full text of the post, in the voice of the character.'),
  image_prompt: requiredText(
    'English image-generation prompt for the picture attached to the post: subject, setting, composition, lighting.',
  ),
  image_style: nullableText('Art style of the picture (English), or null to use the style of the world.'),
  hashtags: textList('Hashtags for the post, without the leading #.'),
  mood: text('Mood of the post.'),
  context: text('What was happening to the character when posting.'),
  mentions: textList('Usernames of other characters mentioned in the post, without the leading @; empty if none.'),
  location: nullableText('Where the post was made, or null.'),
  time_of_day: nullableText('Time of day of the post, or null.'),
});

export type PostDetail = v.InferOutput<typeof PostDetailSchema>;
