import * as v from 'valibot';
import { boundedText, requiredText, text, textList } from './common';

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 30;
export const USERNAME_PATTERN = /^[a-zA-Z0-9_.]+$/;
export const DISPLAY_NAME_MAX = 100;
export const BIO_MAX = 300;

export const CharacterRelationshipSchema = v.strictObject({
  username: text('Username or name of the other person.'),
  relationship_type: text('Kind of relationship: family, friend, colleague, rival, …'),
  description: text('What the relationship is like.'),
});

export const CharacterDetailSchema = v.strictObject({
  username: v.pipe(
    v.string(),
    v.minLength(USERNAME_MIN),
    v.maxLength(USERNAME_MAX),
    v.regex(USERNAME_PATTERN, 'only Latin letters, digits, "_" and "." are allowed'),
    v.description(
      `Unique social-network handle, ${USERNAME_MIN}–${USERNAME_MAX} characters, only Latin letters, digits, ` +
        'underscore and dot (no spaces, no @), whatever the language of the world.',
    ),
  ),
  display_name: boundedText(
    `The name shown on the profile, realistic for the world; at most ${DISPLAY_NAME_MAX} characters.`,
    DISPLAY_NAME_MAX,
  ),
  bio: v.pipe(
    v.string(),
    v.maxLength(BIO_MAX),
    v.description(`Profile bio in the character's voice, at most 200 characters (hard limit ${BIO_MAX}).`),
  ),
  background_story: text('Background story: origin, important events, motivation.'),
  personality: text('Personality: temperament, values, habits, quirks.'),
  appearance: requiredText(
    'Complete appearance: species or ethnicity, age, height, build, face, hair, clothing, distinctive features.',
  ),
  interests: textList('Interests and hobbies.'),
  speaking_style: text('How the character writes: vocabulary, tone, emoji, punctuation, catchphrases.'),
  common_topics: textList('Topics the character usually posts about.'),
  avatar_description: requiredText(
    'Portrait-oriented visual description for the profile picture: face, expression, pose, framing, background. ' +
      'Must agree with `appearance` and add nothing that contradicts it.',
  ),
  avatar_style: requiredText('Art style of the avatar, e.g. photorealistic, stylized, anime, oil painting.'),
  avatar_prompt: requiredText(
    'Final English prompt for the image model: the profile portrait (head and shoulders or bust) in 3–6 sentences — ' +
      'facial features, expression, pose, visible clothing, lighting, background, style and texture terms; visual ' +
      'directions only, no names, no text.',
  ),
  relationships: v.pipe(v.array(CharacterRelationshipSchema), v.description('Important relationships.')),
  secret: text('Something the character hides from others; it may only show indirectly in posts.'),
  daily_routine: text('A typical day of the character.'),
});

export type CharacterRelationship = v.InferOutput<typeof CharacterRelationshipSchema>;
export type CharacterDetail = v.InferOutput<typeof CharacterDetailSchema>;
