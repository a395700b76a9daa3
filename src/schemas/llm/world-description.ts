import * as v from 'valibot';
import { boundedText, requiredText, text, textList } from './common';

/** Postgres `worlds.name` is VARCHAR(100). */
export const WORLD_NAME_MAX = 100;

export const UserPreferencesSchema = v.pipe(
  v.strictObject({
    language: requiredText(
      'The natural language every later text of this world is written in, inferred from the language the user wrote ' +
        'the idea in, as an English language name (e.g. "English", "Russian", "Spanish").',
    ),
    other_preferences: textList(
      'Other explicit wishes taken from the user idea (tone, audience, things to include or avoid); empty if none.',
    ),
  }),
  v.description('Preferences of the user who described the world.'),
);

export const AdditionalDetailsSchema = v.pipe(
  v.strictObject({
    climate: text('Climate and weather.'),
    resources: text('Important resources and how they are distributed.'),
    conflicts: text('Main conflicts and tensions.'),
    traditions: text('Traditions, holidays and customs.'),
    technology: text('Specific technologies and how people use them.'),
    magic_system: text('The magic system and its rules; say plainly that there is none if the world has no magic.'),
    time_period: text('The time period or era.'),
    language: text('Languages, dialects, slang and ways of communicating inside the world.'),
    custom_details: textList('Any number of further unique details that make the world distinctive.'),
  }),
  v.description('Extra details of the world.'),
);

export const WorldDescriptionSchema = v.strictObject({
  name: boundedText(
    `A unique, memorable name for the world that captures its essence; at most ${WORLD_NAME_MAX} characters.`,
    WORLD_NAME_MAX,
  ),
  user_preferences: UserPreferencesSchema,
  description_short: requiredText('A 2–3 sentence summary of the world.'),
  description: requiredText('A detailed description of the world, 1–5 paragraphs.'),
  theme: text('The main theme of the world.'),
  technology_level: text('The level of technology.'),
  social_structure: text('The social structure: classes, institutions, who holds power.'),
  culture: text('Cultural features: values, arts, food, fashion, etiquette.'),
  geography: text('Geography: places, landscapes, cities.'),
  visual_style: text('The visual style for generated images: art style, palette, lighting, textures.'),
  history: text('The history of the world and the events that shaped it.'),
  common_activities: textList('Everyday activities of the inhabitants (5–20 or more) — things people would post about.'),
  typical_stories: textList('Typical stories and plots that happen in this world (5–20 or more).'),
  additional_details: AdditionalDetailsSchema,
});

export type UserPreferences = v.InferOutput<typeof UserPreferencesSchema>;
export type AdditionalDetails = v.InferOutput<typeof AdditionalDetailsSchema>;
export type WorldDescription = v.InferOutput<typeof WorldDescriptionSchema>;
