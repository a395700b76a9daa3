/**
 * Compile-time locks on the inferred document shapes (checked by `tsc --noEmit`; nothing runs).
 */
import type { Collection } from 'mongodb';
import type {
  CounterField,
  DocOf,
  GenerationStatus,
  GenerationStatusCollection,
  NewDocOf,
  SideEffect,
  Task,
  TaskCollection,
  collectionOf,
} from '../../src/repositories';
import type { Config, ImageKind, LlmStep } from '../../src/config/config';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

export type Checks = [
  Expect<Equal<Task['status'], 'pending' | 'in_progress' | 'completed' | 'failed'>>,
  Expect<Equal<Task['parent_id'], string | null>>,
  Expect<Equal<Task['result'], { [key: string]: unknown } | null>>,
  Expect<Equal<Task["attempt_count"], number>>,
  // Write type: defaults are optional, required fields stay required.
  Expect<Equal<NewDocOf<typeof TaskCollection>['status'], 'pending' | 'in_progress' | 'completed' | 'failed' | undefined>>,
  Expect<Equal<NewDocOf<typeof TaskCollection>['world_id'], string>>,
  Expect<Equal<DocOf<typeof GenerationStatusCollection>, GenerationStatus>>,
  Expect<Equal<GenerationStatus['stages'][number]['name'], 'initializing' | 'world_description' | 'world_image' | 'characters' | 'posts' | 'finishing'>>,
  Expect<Equal<GenerationStatus['api_call_limits_LLM'], number>>,
  Expect<Equal<GenerationStatus['error'], string | null>>,
  Expect<Equal<GenerationStatus['created_at'], Date>>,
  Expect<Equal<Extract<CounterField, 'llm_cost_total' | 'users_created' | 'nope'>, 'llm_cost_total' | 'users_created'>>,
  Expect<Equal<ReturnType<typeof collectionOf<typeof TaskCollection>>, Collection<Task>>>,
  Expect<Equal<keyof SideEffect, '_id' | 'world_id' | 'kind' | 'result' | 'created_at' | 'state' | 'request' | 'attempt' | 'sent_at' | 'match_keys' | 'reason'>>,
  Expect<Equal<keyof Config['llm']['models'], LlmStep>>,
  Expect<Equal<keyof Config['images']['sizes'], ImageKind>>,
  Expect<Equal<Config['images']['sizes']['world_header'], { readonly width: number; readonly height: number }>>,
];
