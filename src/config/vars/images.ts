/** Image generation (Runware) and the image sizes per kind. */
import * as v from 'valibot';

import { IMAGE_KINDS, type ImageKind } from '../../domain/steps';
import { defineSection, envFamily, envVar } from '../define';
import { httpUrl, integer, number, oneOf, show, text } from '../schemas';

export const IMAGE_OUTPUT_FORMATS = ['JPG', 'PNG', 'WEBP'] as const;
export type ImageOutputFormat = (typeof IMAGE_OUTPUT_FORMATS)[number];
export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** Runware needs multiples of 64. */
const imageSize = () =>
  v.pipe(
    v.string(),
    v.regex(/^\d+x\d+$/i, (i) => `${show(i.input)} is not WIDTHxHEIGHT`),
    v.transform((s): ImageSize => {
      const [w, h] = s.toLowerCase().split('x');
      return { width: Number(w), height: Number(h) };
    }),
    v.check(
      (s) => [s.width, s.height].every((n) => n % 64 === 0 && n >= 128 && n <= 2048),
      (i) => `${show(`${i.input.width}x${i.input.height}`)} has a side that is not a multiple of 64 in 128..2048`,
    ),
  );

/** world_header is a wide banner (spec 15.31); post_image a portrait feed image. */
const DEFAULT_SIZES: Record<ImageKind, string> = {
  world_header: '1536x640',
  world_icon: '512x512',
  character_avatar: '512x512',
  post_image: '768x1024',
};

export default defineSection({
  key: 'images',
  title: 'Images (Runware)',
  vars: {
    apiKey: envVar({
      name: 'RUNWARE_API_KEY',
      schema: text(),
      required: true,
      secret: true,
      doc: 'Runware API key; required.',
      expected: 'a non-empty Runware API key',
    }),
    baseUrl: envVar({
      name: 'RUNWARE_BASE_URL',
      schema: httpUrl(),
      default: 'https://api.runware.ai/v1',
      doc: 'Runware REST endpoint.',
      expected: 'an http(s) URL',
    }),
    model: envVar({
      name: 'IMAGE_MODEL',
      schema: text(),
      default: 'runware:100@1',
      doc: "Runware model; the original's.",
      expected: 'a Runware model AIR id such as runware:100@1',
    }),
    outputFormat: envVar({
      name: 'IMAGE_OUTPUT_FORMAT',
      schema: oneOf(IMAGE_OUTPUT_FORMATS, (s) => s.toUpperCase()),
      default: 'JPG',
      doc: "Requested explicitly so the upload's content type matches (spec 15.30).",
      expected: `one of ${IMAGE_OUTPUT_FORMATS.join('|')}`,
    }),
    sizes: envFamily({
      keys: IMAGE_KINDS,
      pattern: 'IMAGE_SIZE_<KIND>',
      name: (k) => `IMAGE_SIZE_${k.toUpperCase()}`,
      schema: imageSize(),
      default: (k) => DEFAULT_SIZES[k],
      doc: 'Image size for one kind (Runware needs multiples of 64).',
      expected: 'WIDTHxHEIGHT, each a multiple of 64 in 128..2048',
    }),
    fallbackCostUsd: envVar({
      name: 'IMAGE_FALLBACK_COST_USD',
      schema: number(0, 10),
      default: '0.0006',
      doc: "Cost of one image when Runware reports none; the original's constant.",
      expected: 'a number 0..10 (USD)',
    }),
    timeoutMs: envVar({
      name: 'IMAGE_TIMEOUT_MS',
      schema: integer(1000, 3_600_000),
      default: '120000',
      doc: 'Bounds one Runware inference request.',
      expected: 'an integer 1000..3600000 (milliseconds)',
    }),
    httpTimeoutMs: envVar({
      name: 'IMAGE_HTTP_TIMEOUT_MS',
      schema: integer(1000, 3_600_000),
      default: '60000',
      doc: 'Bounds the image download and the presigned upload, as the original.',
      expected: 'an integer 1000..3600000 (milliseconds)',
    }),
  },
});
