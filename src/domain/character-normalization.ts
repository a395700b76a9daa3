/**
 * A generated character as character-service should receive it. Pure and deterministic: the same detail and
 * position give the same request, so a retry sends what the first attempt sent.
 *
 *  - Text is made storable (no NUL, see service-limits.ts); the display name is one line of at most
 *    DISPLAY_NAME_MAX characters and never empty; the bio at most BIO_MAX characters. The LLM schema asks for the
 *    same bounds, but a repaired or lenient answer must not reach the service unbounded.
 *  - The username (kept in `meta`; the platform shows it as the @handle and posts mention it) is forced into
 *    3–30 of [A-Za-z0-9_.]; uniqueness within the world is decided by the caller, which claims the first free
 *    name of {@link usernameCandidates} (the suffix is the character's own position, so two characters that
 *    asked for the same name end up with different ones whichever claims first).
 *  - `meta` carries `creation_key`, the stable key of this creation (derived from the task id), so a character
 *    created by an attempt whose response was lost can be recognised by anyone who can read the service's rows.
 *    The frontend never parses `meta`, so the extra key is invisible to users.
 */
import { BIO_MAX, DISPLAY_NAME_MAX, USERNAME_MAX, USERNAME_MIN } from '../schemas/llm/character-detail';
import type { CharacterDetail } from '../schemas/llm';
import { clipCodePoints, singleLine, storableJson, storableText } from './service-limits';

/** How many names {@link usernameCandidates} offers before the caller gives up. */
export const USERNAME_CANDIDATES = 20;

function handleFrom(text: string): string {
  const ascii = storableText(text)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // combining marks: "José" → "Jose"
    .replace(/[^A-Za-z0-9_.]+/g, '_')
    .replace(/([_.])[_.]+/g, '$1')
    .replace(/^[_.]+|[_.]+$/g, '');
  return clipCodePoints(ascii, USERNAME_MAX).replace(/[_.]+$/, '');
}

/** A valid username from the generated one, else from the display name, else from the position. */
export function normalizeUsername(username: string, displayName: string, characterIndex: number): string {
  for (const source of [username, displayName]) {
    const handle = handleFrom(source);
    if (handle.length >= USERNAME_MIN) return handle;
  }
  return `character_${characterIndex + 1}`;
}

/**
 * The names to try, in order: the username itself, then `<name>_<position>`, then `<name>_<position>_<k>`;
 * each within USERNAME_MAX. Deterministic; all distinct.
 */
export function usernameCandidates(username: string, characterIndex: number): string[] {
  const out = [username];
  for (let k = 1; out.length < USERNAME_CANDIDATES; k++) {
    const suffix = k === 1 ? `_${characterIndex + 1}` : `_${characterIndex + 1}_${k}`;
    const base = clipCodePoints(username, USERNAME_MAX - suffix.length).replace(/[_.]+$/, '');
    const candidate = `${base}${suffix}`;
    if (!out.some((c) => c.toLowerCase() === candidate.toLowerCase())) out.push(candidate);
  }
  return out;
}

/** Usernames compare case-insensitively (as handles do on every social network). */
export const usernameKey = (username: string): string => username.toLowerCase();

/** The detail with every field fitted to what the services store (username not yet made unique). */
export function normalizeCharacterDetail(detail: CharacterDetail, characterIndex: number): CharacterDetail {
  const clean = storableJson(detail);
  const username = normalizeUsername(detail.username, detail.display_name, characterIndex);
  const displayName = singleLine(detail.display_name, DISPLAY_NAME_MAX) || username;
  const bio = clipCodePoints(storableText(detail.bio).trim(), BIO_MAX).trim();
  return { ...clean, username, display_name: displayName, bio };
}

export interface CharacterCreation {
  displayName: string;
  /** JSON of the normalized detail plus `creation_key`. */
  meta: string;
  username: string;
}

/** The CreateCharacter fields for a normalized detail, its unique username and the creation's stable key. */
export function characterCreation(normalized: CharacterDetail, username: string, creationKey: string): CharacterCreation {
  return {
    displayName: normalized.display_name,
    meta: JSON.stringify({ ...normalized, username, creation_key: creationKey }),
    username,
  };
}
