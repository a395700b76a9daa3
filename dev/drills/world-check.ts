/* eslint-disable @typescript-eslint/no-explicit-any -- the status document is read as raw BSON, as world-service reads it. */
/**
 * The exact-world check every drill ends with. It compares three independent records of one world:
 * what the service stand-ins hold (characters, posts, media, the world row), what the provider stand-ins served
 * (requests received, costs and tokens answered), and what the status document claims.
 *
 * Money and tokens: what a stand-in charged (its records carry a cost) is owed to the world's totals. One case is
 * beyond any worker: an OpenRouter answer that never reached it — sent in the moments before the worker was
 * SIGKILLed and left unread in its socket buffer, or dropped by the stand-in's `dropResponse` fault — cannot be
 * counted, because OpenRouter offers no look-up by request. Those LLM answers (charged requests that arrived within
 * IN_TRANSIT_MS before a kill, or were dropped) are the only slack: the LLM totals must be at least the sum of all
 * other charges and at most the sum of all charges. Runware renders have no slack: a render is remembered by its
 * taskUUID (getResponse), so a paid render whose answer was lost can be found again. Without kills or dropped
 * replies every total must be exact. Request counts (`api_calls_made_*`) have no slack either: the worker reserves
 * before it sends, so every request a stand-in received must be counted once.
 */
import { MediaType } from '../../src/gen/media/media_pb';
import { DRILL_SECRETS, type Lab } from './lab';

/** How long after its request arrived an answer may still be unread when the worker dies (see above). */
export const IN_TRANSIT_MS = 1_500;
const EPSILON = 1e-9;

export interface WorldExpectation {
  worldId: string;
  characters: number;
  posts: number;
  /** 'completed': every fault in the drill is recoverable. 'either': a truthful failure is acceptable too. */
  expect: 'completed' | 'either';
  /**
   * The drill makes a CreateCharacter outcome unknowable (its response lost after commit, or the worker killed right
   * after it): character-service has no read-back for AI characters, so the worker may report such a character as
   * possibly created instead of creating it again. Then, and only if the characters stage says so, `users_created`
   * may count fewer characters than exist (never more), and the stage's "x of N" names the counted ones.
   */
  ambiguousCharacters?: boolean;
}

/** How the worker words a creation it could not confirm (src/activities: "may have created it"). */
const AMBIGUITY = /may have created|ambiguous/i;

export interface WorldReport {
  /** completed | failed | stuck (still in_progress at the deadline) | missing (no status document). */
  outcome: string;
  pass: boolean;
  /** Objects beyond what was asked for: characters, posts and media rows. */
  duplicates: number;
  /** Requested objects that do not exist (characters, avatars, posts, world images) and the status does not report missing. */
  lost: number;
  mismatches: string[];
  /** What was created and served, for the log. */
  summary: string;
}

export interface SettledWorld {
  status: Record<string, any> | null;
  timedOut: boolean;
  lateEvents: number;
}

type Served = { at: number; cost: number | null; promptTokens?: number; completionTokens?: number; fault?: string | undefined };

/** Exact sums of what the stand-in charged, plus what may have been lost in transit (at a kill, or a dropped reply). */
function servedTotals(records: readonly Served[], kills: readonly number[], unrecoverable: boolean) {
  const inTransit = (r: Served) => unrecoverable && (r.fault === 'dropResponse' || kills.some((k) => r.at <= k && r.at >= k - IN_TRANSIT_MS));
  const sure = { cost: 0, prompt: 0, completion: 0 };
  const maybe = { cost: 0, prompt: 0, completion: 0 };
  for (const r of records) {
    // The stand-ins set a cost only on what they charged for (an answer sent, not a request abandoned mid-way).
    if (r.cost === null) continue;
    const into = inTransit(r) ? maybe : sure;
    into.cost += r.cost ?? 0;
    into.prompt += r.promptTokens ?? 0;
    into.completion += r.completionTokens ?? 0;
  }
  return { sure, maybe };
}

function checkBounded(mismatches: string[], field: string, actual: unknown, sure: number, maybe: number): void {
  const value = typeof actual === 'number' ? actual : Number(actual ?? 0);
  if (maybe === 0) {
    if (Math.abs(value - sure) > EPSILON) mismatches.push(`${field} = ${value}, the stand-ins served ${round(sure)}`);
  } else if (value < sure - EPSILON || value > sure + maybe + EPSILON) {
    mismatches.push(`${field} = ${value}, the stand-ins served ${round(sure)} (+ up to ${round(maybe)} in transit at a kill)`);
  }
}

const round = (n: number) => Math.round(n * 1e9) / 1e9;

export function checkWorld(lab: Lab, want: WorldExpectation, settled: SettledWorld, workerOutputs: readonly string[]): WorldReport {
  const { worldId, characters: N, posts: P } = want;
  const mismatches: string[] = [];
  const state = lab.services.state;
  const characters = [...state.characters.values()].filter((c) => c.worldId === worldId);
  const posts = [...state.posts.values()].filter((p) => p.worldId === worldId);
  const media = [...state.media.values()].filter((m) => m.worldId === worldId);
  const world = state.worlds.get(worldId);

  // --- duplicates: anything beyond what was asked for ---
  // Media objects are the confirmed rows. A presign whose response was lost leaves an unconfirmed row that
  // media-service never serves and offers no look-up for (it is keyed by the id the lost response carried): it is
  // reported in the summary, not counted as a duplicate.
  const confirmed = media.filter((m) => m.confirmed);
  const extraCharacters = Math.max(0, characters.length - N);
  const extraPosts = Math.max(0, posts.length - P);
  const extraMedia = Math.max(0, confirmed.length - (2 + N + P));
  const duplicates = extraCharacters + extraPosts + extraMedia;
  if (extraCharacters > 0) mismatches.push(`${characters.length} characters for ${N} requested`);
  if (extraPosts > 0) mismatches.push(`${posts.length} posts for ${P} requested`);
  if (extraMedia > 0) mismatches.push(`${confirmed.length} confirmed media objects, expected exactly ${2 + N + P}`);
  const sharedImages = posts.length - new Set(posts.map((p) => p.mediaId)).size;
  if (sharedImages > 0) mismatches.push(`${sharedImages} post(s) share an image with another post`);
  const creates = (method: string) =>
    lab.services.calls.filter((c) => c.method === method && (c.request as any)?.worldId === worldId && (c.outcome === 'ok' || c.outcome === 'LOST_RESPONSE') && !c.replayed).length;
  const characterCreates = creates('CreateCharacter');
  const postCreates = creates('CreateAIPost');
  if (characterCreates > N) mismatches.push(`${characterCreates} CreateCharacter calls took effect for ${N} characters`);
  if (postCreates > P) mismatches.push(`${postCreates} CreateAIPost calls took effect for ${P} posts`);

  // --- one avatar per character, one image per post, header and icon ---
  let avatars = 0;
  for (const c of characters) {
    // Confirmed rows only, as for every media object above: a presign whose response was lost leaves an unconfirmed
    // row the worker cannot find again (seed 311 met it on an avatar once release 0.5 reordered the calls).
    const own = confirmed.filter((m) => m.mediaType === MediaType.CHARACTER_AVATAR && m.characterId === c.id);
    const avatar = c.avatarMediaId ? state.media.get(c.avatarMediaId) : undefined;
    if (avatar?.confirmed && avatar.mediaType === MediaType.CHARACTER_AVATAR && avatar.worldId === worldId) avatars += 1;
    if (own.length > 1) mismatches.push(`character ${c.id} has ${own.length} avatar media objects`);
  }
  let postImages = 0;
  for (const p of posts) {
    const image = state.media.get(p.mediaId);
    if (image?.confirmed && image.mediaType === MediaType.POST_IMAGE && image.worldId === worldId) postImages += 1;
    else mismatches.push(`post ${p.postId} has no confirmed post image`);
    if (!characters.some((c) => c.id === p.characterId)) mismatches.push(`post ${p.postId} belongs to no character of the world`);
  }
  const header = world?.imageUuid ? state.media.get(world.imageUuid) : undefined;
  const icon = world?.iconUuid ? state.media.get(world.iconUuid) : undefined;
  const worldImages = (header?.confirmed && header.mediaType === MediaType.WORLD_HEADER ? 1 : 0) + (icon?.confirmed && icon.mediaType === MediaType.WORLD_ICON ? 1 : 0);

  const missingCharacters = Math.max(0, N - characters.length);
  const missingAvatars = Math.max(0, N - avatars);
  const missingPosts = Math.max(0, P - posts.length);
  const missing = missingCharacters + missingAvatars + missingPosts + (2 - worldImages);

  // --- status: final, truthful, and counting what exists ---
  const status = settled.status;
  let outcome: string;
  if (!status) outcome = 'missing';
  else if (settled.timedOut || status.status === 'in_progress') outcome = 'stuck';
  else outcome = String(status.status);

  if (status) {
    const stages: any[] = Array.isArray(status.stages) ? status.stages : [];
    const stage = (name: string) => stages.find((s) => s.name === name);
    for (const s of stages) if (s.status === 'pending' || s.status === 'in_progress') mismatches.push(`stage ${s.name} left ${s.status}`);
    for (const s of stages) if (s.status === 'failed' && !s.reason) mismatches.push(`stage ${s.name} failed without a reason`);
    const eq = (field: string, actual: unknown, expected: number, what = 'exist') => {
      if (Number(actual ?? 0) !== expected) mismatches.push(`${field} = ${String(actual)}, but ${expected} ${what}`);
    };
    const charactersReason = String(stage('characters')?.reason ?? '');
    const ambiguous = want.ambiguousCharacters === true && stage('characters')?.status === 'failed' && AMBIGUITY.test(charactersReason);
    const countedCharacters = Number(status.users_created ?? 0);
    if (ambiguous) {
      // Counted ≤ existing ≤ counted + reported as possibly created.
      const possibly = Number(status.characters_ambiguous ?? 0);
      if (countedCharacters > characters.length) mismatches.push(`users_created = ${countedCharacters}, but only ${characters.length} exist`);
      if (characters.length > countedCharacters + possibly) {
        mismatches.push(`${characters.length} characters exist, users_created = ${countedCharacters} and characters_ambiguous = ${possibly} account for fewer`);
      }
    } else {
      eq('users_created', status.users_created, characters.length);
    }
    eq('avatars_created', status.avatars_created, avatars);
    eq('posts_created', status.posts_created, posts.length);
    if (status.users_predicted !== N) mismatches.push(`users_predicted = ${status.users_predicted}, requested ${N}`);
    if (status.posts_predicted !== P) mismatches.push(`posts_predicted = ${status.posts_predicted}, requested ${P}`);

    if (outcome === 'completed') {
      if (missing > 0) mismatches.push(`status completed, but ${missing} requested object(s) are missing`);
      if (stages.some((s) => s.status !== 'completed')) mismatches.push('status completed with a stage not completed');
      if (status.error) mismatches.push(`status completed with error "${String(status.error)}"`);
      if (world?.usersCount !== N || world?.postsCount !== P) mismatches.push(`world row says ${world?.usersCount} users / ${world?.postsCount} posts`);
    }
    if (outcome === 'failed') {
      if (!status.error) mismatches.push('status failed without an error');
      // A drill that allows only the unconfirmable-character failure does not accept any other.
      if (want.ambiguousCharacters && want.expect === 'either' && !ambiguous) mismatches.push(`failed, but not for an unconfirmable character: ${String(status.error)}`);
      if (want.ambiguousCharacters && stage('world_image')?.status !== 'completed') mismatches.push('world_image failed in a drill that only loses a character response');
      // Each failed stage must name what is missing; each stage that says completed must really be complete.
      const truthful = (name: string, complete: boolean, counted: string) => {
        const s = stage(name);
        if (!s) return mismatches.push(`stage ${name} missing`);
        if (complete && s.status === 'failed') mismatches.push(`stage ${name} failed ("${s.reason}") but everything exists`);
        if (!complete && s.status === 'completed') mismatches.push(`stage ${name} completed but its objects are missing`);
        if (!complete && s.status === 'failed' && counted && !String(s.reason ?? '').includes(counted.split(' (')[0]!)) {
          mismatches.push(`stage ${name} reason "${s.reason}" does not say ${counted}`);
        }
      };
      truthful('world_image', worldImages === 2, '');
      truthful('characters', missingCharacters === 0 && missingAvatars === 0 && !ambiguous, `${ambiguous ? countedCharacters : characters.length} of ${N}`);
      truthful('posts', missingPosts === 0, `${posts.length} of ${P}`);
    }

    // --- counters equal what the stand-ins received and answered ---
    eq('api_calls_made_LLM', status.api_calls_made_LLM, lab.llm.requests.length, 'requests reached the OpenRouter stand-in');
    // Free look-ups (Runware getResponse) are not generation requests; everything else that arrived is.
    const generationRequests = lab.images.requests.filter((r) => !(r.tasks.length > 0 && r.tasks.every((t) => t?.taskType === 'getResponse')));
    eq('api_calls_made_images', status.api_calls_made_images, generationRequests.length, 'requests reached the Runware stand-in');
    const llm = servedTotals(lab.llm.requests, lab.kills, true);
    checkBounded(mismatches, 'llm_cost_total', status.llm_cost_total, llm.sure.cost, llm.maybe.cost);
    checkBounded(mismatches, 'llm_prompt_tokens', status.llm_prompt_tokens, llm.sure.prompt, llm.maybe.prompt);
    checkBounded(mismatches, 'llm_completion_tokens', status.llm_completion_tokens, llm.sure.completion, llm.maybe.completion);
    // Runware renders are remembered by taskUUID (getResponse), so a render paid for but lost can be recovered: exact.
    const img = servedTotals(lab.images.requests, lab.kills, false);
    checkBounded(mismatches, 'image_cost_total', status.image_cost_total, img.sure.cost, img.maybe.cost);
  }
  if (settled.timedOut) mismatches.push('the world did not settle before the drill deadline');
  if (settled.lateEvents > 0) mismatches.push(`${settled.lateEvents} request(s) reached the stand-ins after the world had settled`);
  for (const out of workerOutputs) {
    if (out.includes(DRILL_SECRETS.openrouter) || out.includes(DRILL_SECRETS.runware)) {
      mismatches.push('a worker printed an API key');
      break;
    }
  }

  const outcomeOk = outcome === 'completed' || (want.expect === 'either' && outcome === 'failed');
  if (!outcomeOk) mismatches.unshift(`expected completed, the world is ${outcome}${status?.error ? `: ${String(status.error)}` : ''}`);
  // Lost = missing without the status saying so. A truthful failure (no mismatch) reports what is missing.
  const reported = outcome === 'failed' && mismatches.length === 0;
  const lost = reported ? 0 : missing;
  const pass = outcomeOk && duplicates === 0 && mismatches.length === 0 && lost === 0;
  const unanswered = [...lab.llm.requests, ...lab.images.requests].filter((r) => r.status === 0).length;
  const summary =
    `${reported && missing > 0 ? `${missing} object(s) missing, reported by the status; ` : ''}${characters.length}/${N} characters, ${avatars} avatars, ${posts.length}/${P} posts (${postImages} with their image), ${confirmed.length} media confirmed (+${media.length - confirmed.length} unconfirmed presigns); ` +
    `${lab.llm.requests.length} LLM + ${lab.images.requests.length} image requests (${unanswered} unanswered); creates: ${characterCreates} character, ${postCreates} post`;
  return { outcome, pass, duplicates, lost, mismatches, summary };
}
