/**
 * Which name UpdateWorldParams sends. world-service overwrites the world's name with any non-empty name it
 * receives, so this decides what the world is called on the platform.
 *
 * The web frontend creates every world as "Generated World" (frontend/src/pages/worlds/CreateWorldPage.tsx — it
 * has no name field), and the original worker always sent the generated name. A name the user actually chose is
 * kept; an empty or placeholder one is replaced by the generated name. (A user who types "Generated World" on
 * purpose cannot be told apart from the frontend's default; they get the generated name, as with the original.)
 */
import { singleLine, WORLD_NAME_MAX } from './service-limits';

/** Names that mean "no name chosen", compared case-insensitively with whitespace collapsed. */
export const PLACEHOLDER_WORLD_NAMES: readonly string[] = ['Generated World'];

const comparable = (name: string) => name.replace(/\s+/g, ' ').trim().toLowerCase();
const PLACEHOLDERS = new Set(PLACEHOLDER_WORLD_NAMES.map(comparable));

export function isPlaceholderWorldName(name: string): boolean {
  const c = comparable(name);
  return c === '' || PLACEHOLDERS.has(c);
}

/**
 * The user's name unless it is empty or a placeholder, else the generated one; either fitted to
 * `worlds.name VARCHAR(100)`. Empty only if both are empty (world-service then leaves the name alone).
 */
export function chooseWorldName(userName: string | null | undefined, generatedName: string | null | undefined): string {
  const user = singleLine(userName ?? '', WORLD_NAME_MAX);
  const generated = singleLine(generatedName ?? '', WORLD_NAME_MAX);
  if (!isPlaceholderWorldName(user)) return user;
  return generated !== '' ? generated : user;
}
