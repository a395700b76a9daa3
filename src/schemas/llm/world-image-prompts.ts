import * as v from 'valibot';
import { requiredText, text, textList } from './common';

export const WorldImagePromptsSchema = v.strictObject({
  header_prompt: requiredText(
    'English prompt (3–6 sentences) for the wide header/background image of the world: subject, composition, ' +
      'style, mood, lighting.',
  ),
  icon_prompt: requiredText(
    'English prompt (3–6 sentences) for the square world icon: one simple, recognisable emblematic subject that ' +
      'reads well at small sizes, in the same visual identity as the header.',
  ),
  style_reference: text('Short English style notes shared by both images, for visual consistency.'),
  visual_elements: textList('Key visual elements of the world (English).'),
  mood: text('The overall mood of the images (English).'),
  color_palette: textList('The main colours of the palette (English).'),
});

export type WorldImagePrompts = v.InferOutput<typeof WorldImagePromptsSchema>;
