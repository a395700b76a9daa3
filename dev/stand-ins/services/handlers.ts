/**
 * In-memory implementations of the four Generia services, following the Go services' code
 * (github.com/sdshorin/generia: services/<name>-service/internal) and reference spec 8.2 and 9: the status codes
 * each RPC returns, what Postgres would reject (non-UUID ids, NUL characters in TEXT/JSONB), the media row
 * created at presign time, GetCharacterPosts' newest-first LIMIT/OFFSET paging.
 *
 * Like the Go services, the stand-ins ignore the `idempotency-key` header by default: a create repeated after a
 * lost response creates a second row. `dedupeIdempotencyKeys` switches on what a future service could do (replay
 * the first response for a repeated key); it exists to show the difference, not because any service does it.
 *
 * Deliberate differences, each stricter than the Go code so that ordering bugs in the worker show up here:
 *  - CreateAIPost refuses media that was never confirmed (FAILED_PRECONDITION); the Go service does not check.
 *  - UpdateWorldParams creates the world on first use (world-service owns creation; the Go code answers NOT_FOUND).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { CharacterSchema, type Character, type CharacterService } from '../../../src/gen/generia/character/character_pb';
import {
  MediaSchema,
  MediaType,
  MediaVariantSchema,
  type MediaService,
} from '../../../src/gen/media/media_pb';
import type { PostService } from '../../../src/gen/post/post_pb';
import { WorldResponseSchema, type WorldService } from '../../../src/gen/world/world_pb';

export const IDEMPOTENCY_HEADER = 'idempotency-key';

export interface StandInPost {
  postId: string;
  /** Insertion order: the tie-breaker of `created_at DESC` (Postgres timestamps rarely tie, milliseconds do). */
  seq: number;
  characterId: string;
  caption: string;
  mediaId: string;
  worldId: string;
  tags: string[];
  createdAt: string;
}

export interface StandInMedia {
  mediaId: string;
  worldId: string;
  /** '' for world-level media (the real service stores NULL). */
  characterId: string;
  filename: string;
  /** Content type declared at presign time. */
  contentType: string;
  declaredSize: bigint;
  mediaType: MediaType;
  /** Secret embedded in the presigned URL. */
  uploadToken: string;
  /** Unix seconds. */
  expiresAt: number;
  /** Bytes received by the presigned PUT, if any. */
  bytes?: Uint8Array;
  /** Content-Type header of the presigned PUT. */
  uploadedContentType?: string;
  confirmed: boolean;
  createdAt: string;
}

export interface StandInWorld {
  params?: string;
  name?: string;
  usersCount?: number;
  postsCount?: number;
  imageUuid?: string;
  iconUuid?: string;
}

export interface StandInState {
  characters: Map<string, Character>;
  posts: Map<string, StandInPost>;
  media: Map<string, StandInMedia>;
  /** Worlds are created on first update (world-service owns creation; the worker only updates). */
  worlds: Map<string, StandInWorld>;
}

export function createState(): StandInState {
  return { characters: new Map(), posts: new Map(), media: new Map(), worlds: new Map() };
}

export function clearState(state: StandInState): void {
  state.characters.clear();
  state.posts.clear();
  state.media.clear();
  state.worlds.clear();
}

/** First response per (method, idempotency key); a repeated key replays it without a second effect. */
export type IdempotencyCache = Map<string, unknown>;

/** Marks the current call as replayed (for the call log). */
export interface CallMarks {
  replayed: boolean;
}

interface Deps {
  state: StandInState;
  idempotency: IdempotencyCache;
  /** Replay the first response for a repeated idempotency key (off by default: no Go service does this). */
  dedupe: boolean;
  uploadBaseUrl: () => string;
  marks: (ctx: HandlerContext) => CallMarks;
  /** A fault queued for an internal call the service makes (e.g. post-service → GetMediaURL). */
  innerFault: (method: string) => boolean;
  nextSeq: () => number;
}

const invalid = (msg: string) => new ConnectError(msg, Code.InvalidArgument);
const internal = (msg: string) => new ConnectError(msg, Code.Internal);

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** Postgres `uuid` columns reject anything else, which the Go services surface as their generic error. */
const isUuid = (s: string | undefined): s is string => s !== undefined && UUID.test(s);
/** Postgres TEXT rejects byte 0x00 and JSONB rejects `\u0000`; the Go services answer INTERNAL. */
const hasNul = (...texts: (string | undefined)[]) => texts.some((t) => t !== undefined && t.includes('\u0000'));
/** JSON text that Postgres' JSONB refuses: a raw NUL or the escape `\\u0000`. */
const hasJsonNul = (json: string | undefined) => json !== undefined && (json.includes('\u0000') || /\\u0000/i.test(json));

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function idempotent<T>(deps: Deps, method: string, ctx: HandlerContext, effect: () => T): Promise<T> {
  const key = ctx.requestHeader.get(IDEMPOTENCY_HEADER);
  if (!key || !deps.dedupe) return effect();
  const cacheKey = `${method}\u0000${key}`;
  if (deps.idempotency.has(cacheKey)) {
    deps.marks(ctx).replayed = true;
    return deps.idempotency.get(cacheKey) as T;
  }
  const result = effect();
  deps.idempotency.set(cacheKey, result);
  return result;
}

export function characterImpl(deps: Deps): Partial<ServiceImpl<typeof CharacterService>> {
  const { state } = deps;
  const find = (id: string): Character | undefined => (isUuid(id) ? state.characters.get(id) : undefined);
  return {
    // Go: no validation in the handler; whatever Postgres refuses (world_id not a UUID, meta not JSON, NUL bytes)
    // comes back as INTERNAL "Failed to create character", and nothing is stored.
    createCharacter: (req, ctx) =>
      idempotent(deps, 'CreateCharacter', ctx, () => {
        if (!isUuid(req.worldId)) throw internal('Failed to create character');
        if (req.meta !== undefined && req.meta !== '' && !isJson(req.meta)) throw internal('Failed to create character');
        if (hasNul(req.displayName) || hasJsonNul(req.meta)) throw internal('Failed to create character');
        const character = create(CharacterSchema, {
          id: randomUUID(),
          worldId: req.worldId,
          realUserId: req.realUserId || undefined,
          isAi: !req.realUserId,
          displayName: req.displayName,
          avatarMediaId: req.avatarMediaId || undefined,
          avatarUrl: '',
          meta: req.meta || '{}',
          createdAt: new Date().toISOString(),
        });
        state.characters.set(character.id, character);
        return character;
      }),
    // Go: every repository error, including "no rows", is NOT_FOUND "Character not found".
    getCharacter: (req) => {
      const c = find(req.characterId);
      if (!c) throw new ConnectError('Character not found', Code.NotFound);
      return c;
    },
    // Go: every error, including an unknown id and "no fields to update", is INTERNAL "Failed to update character".
    updateCharacter: (req) => {
      const c = find(req.characterId);
      if (!c) throw internal('Failed to update character');
      if (req.displayName === undefined && req.avatarMediaId === undefined && req.meta === undefined) {
        throw internal('Failed to update character');
      }
      if (req.avatarMediaId !== undefined && req.avatarMediaId !== '' && !isUuid(req.avatarMediaId)) throw internal('Failed to update character');
      if (req.meta !== undefined && !isJson(req.meta)) throw internal('Failed to update character');
      if (hasNul(req.displayName) || hasJsonNul(req.meta)) throw internal('Failed to update character');
      if (req.displayName !== undefined) c.displayName = req.displayName;
      if (req.avatarMediaId !== undefined) c.avatarMediaId = req.avatarMediaId;
      if (req.meta !== undefined) c.meta = req.meta;
      // avatar_url is not a column: the Go service ignores it on update.
      return c;
    },
    healthCheck: () => ({ status: 'SERVING' }),
  };
}

export function postImpl(deps: Deps): Partial<ServiceImpl<typeof PostService>> {
  const { state } = deps;
  /**
   * What post-service puts in `media_url`: media-service's GetMediaURL(media_id, "medium") — a presigned GET of the
   * image object `<world>/<character>/posts/<media_id><ext>` (the "medium" variant is never generated, so the
   * original's URL is returned). When that call fails, the Go code logs and leaves the URL empty.
   */
  const mediaUrlOf = (p: StandInPost): string => {
    const m = state.media.get(p.mediaId);
    if (!m || deps.innerFault('GetMediaURL')) return '';
    const ext = /\.[A-Za-z0-9]+$/.exec(m.filename)?.[0] ?? '';
    const signature = randomBytes(8).toString('hex');
    return `${deps.uploadBaseUrl()}/generia-media/${m.worldId}/${m.characterId}/posts/${m.mediaId}${ext}?X-Amz-Expires=3600&X-Amz-Signature=${signature}`;
  };
  return {
    createAIPost: (req, ctx) =>
      idempotent(deps, 'CreateAIPost', ctx, () => {
        if (!req.characterId || !req.mediaId || !req.worldId) {
          throw invalid('character_id, media_id, and world_id are required');
        }
        const character = isUuid(req.characterId) ? state.characters.get(req.characterId) : undefined;
        if (!character) throw new ConnectError('Character not found', Code.NotFound);
        if (!character.isAi) throw new ConnectError('Cannot create AI post for non-AI character', Code.PermissionDenied);
        const media = state.media.get(req.mediaId);
        if (!media) throw internal('failed to validate media');
        if (media.characterId !== req.characterId) throw new ConnectError('media does not belong to the character', Code.PermissionDenied);
        // Stricter than the Go service, which does not look at the upload state (see the module comment).
        if (!media.confirmed) throw new ConnectError(`media ${req.mediaId} is not confirmed`, Code.FailedPrecondition);
        if (!isUuid(req.worldId) || hasNul(req.caption)) throw internal('failed to create post');
        const post: StandInPost = {
          postId: randomUUID(),
          seq: deps.nextSeq(),
          characterId: req.characterId,
          caption: req.caption,
          mediaId: req.mediaId,
          worldId: req.worldId,
          tags: [...req.tags],
          createdAt: new Date().toISOString(),
        };
        state.posts.set(post.postId, post);
        return { postId: post.postId, createdAt: post.createdAt };
      }),
    // Go: `WHERE character_id = $1 ORDER BY created_at DESC LIMIT $2 OFFSET $3` plus a COUNT(*); limit <= 0 means
    // 10, a negative offset means 0; an empty page answers total 0 without looking up the character.
    getCharacterPosts: (req) => {
      if (!req.characterId) throw invalid('character_id is required');
      if (!isUuid(req.characterId)) throw internal('failed to get character posts');
      const limit = req.limit <= 0 ? 10 : req.limit;
      const offset = Math.max(0, req.offset);
      const all = [...state.posts.values()].filter((p) => p.characterId === req.characterId).sort((a, b) => b.seq - a.seq);
      const page = all.slice(offset, offset + limit);
      if (page.length === 0) return { posts: [], total: 0 };
      const character = state.characters.get(req.characterId);
      if (!character) throw internal('failed to get character info');
      return {
        posts: page.map((p) => ({
          postId: p.postId,
          characterId: p.characterId,
          displayName: character.displayName,
          caption: p.caption,
          mediaUrl: mediaUrlOf(p),
          createdAt: p.createdAt,
          likesCount: 0,
          commentsCount: 0,
          worldId: p.worldId,
          avatarUrl: character.avatarUrl,
          isAi: true,
        })),
        total: all.length,
      };
    },
    healthCheck: () => ({ status: 'SERVING' }),
  };
}

const OBJECT_DIR: Record<MediaType, string | undefined> = {
  [MediaType.UNKNOWN]: undefined,
  [MediaType.WORLD_HEADER]: 'world_data',
  [MediaType.WORLD_ICON]: 'world_data',
  [MediaType.CHARACTER_AVATAR]: 'avatars',
  [MediaType.POST_IMAGE]: 'posts',
};

export function mediaImpl(deps: Deps): Partial<ServiceImpl<typeof MediaService>> {
  const { state } = deps;
  const variants = (m: StandInMedia): MessageInitShape<typeof MediaVariantSchema>[] => [
    { name: 'thumbnail', url: `${deps.uploadBaseUrl()}/media/${m.mediaId}/thumbnail`, width: 150, height: 150 },
    { name: 'medium', url: `${deps.uploadBaseUrl()}/media/${m.mediaId}/medium`, width: 512, height: 512 },
  ];
  return {
    getPresignedUploadURL: (req, ctx) =>
      idempotent(deps, 'GetPresignedUploadURL', ctx, () => {
        if (!req.worldId) throw invalid('world_id is required');
        if (!req.filename) throw invalid('filename is required');
        if (!req.contentType) throw invalid('content_type is required');
        if (!OBJECT_DIR[req.mediaType]) throw invalid(`unsupported media_type ${req.mediaType}`);
        if (req.mediaType >= MediaType.CHARACTER_AVATAR && !req.characterId) {
          throw invalid('character_id is required for avatar and post media');
        }
        // Like the real service: the media row exists as soon as the URL is issued.
        const media: StandInMedia = {
          mediaId: randomUUID(),
          worldId: req.worldId,
          characterId: req.characterId,
          filename: req.filename,
          contentType: req.contentType,
          declaredSize: req.size,
          mediaType: req.mediaType,
          uploadToken: randomBytes(12).toString('hex'),
          expiresAt: Math.floor(Date.now() / 1000) + 600,
          confirmed: false,
          createdAt: new Date().toISOString(),
        };
        state.media.set(media.mediaId, media);
        return {
          mediaId: media.mediaId,
          uploadUrl: `${deps.uploadBaseUrl()}/upload/${media.mediaId}?token=${media.uploadToken}`,
          expiresAt: BigInt(media.expiresAt),
        };
      }),
    confirmUpload: (req) => {
      if (!req.mediaId) throw invalid('media_id is required');
      const m = state.media.get(req.mediaId);
      if (!m) throw new ConnectError(`media ${req.mediaId} not found`, Code.NotFound);
      if (!m.bytes) throw new ConnectError(`media ${req.mediaId}: object not uploaded`, Code.FailedPrecondition);
      m.confirmed = true;
      return { success: true, variants: variants(m) };
    },
    getMedia: (req) => {
      const m = state.media.get(req.mediaId);
      if (!m) throw new ConnectError(`media ${req.mediaId} not found`, Code.NotFound);
      return create(MediaSchema, {
        mediaId: m.mediaId,
        characterId: m.characterId,
        worldId: m.worldId,
        filename: m.filename,
        contentType: m.contentType,
        size: BigInt(m.bytes?.length ?? 0),
        variants: m.confirmed ? variants(m) : [],
        createdAt: m.createdAt,
        mediaType: m.mediaType,
      });
    },
  };
}

export function worldImpl(deps: Deps): Partial<ServiceImpl<typeof WorldService>> {
  const { state } = deps;
  const worldOf = (id: string): StandInWorld => {
    let w = state.worlds.get(id);
    if (!w) {
      w = {};
      state.worlds.set(id, w);
    }
    return w;
  };
  return {
    updateWorldImage: (req) => {
      if (!req.worldId || !req.imageUuid || !req.iconUuid) {
        throw invalid('world_id, image_uuid and icon_uuid are required');
      }
      const w = worldOf(req.worldId);
      w.imageUuid = req.imageUuid;
      w.iconUuid = req.iconUuid;
      return { success: true, message: 'World image updated' };
    },
    updateWorldParams: (req) => {
      if (!req.worldId) throw invalid('world_id is required');
      if (!req.params) throw invalid('params is required');
      // Postgres VARCHAR(100) counts characters, not bytes or UTF-16 units.
      if ([...req.name].length > 100) throw invalid('name must be at most 100 characters');
      const w = worldOf(req.worldId);
      w.params = req.params;
      if (req.name) w.name = req.name;
      w.usersCount = req.usersCount;
      w.postsCount = req.postsCount;
      return { success: true, message: 'World params updated' };
    },
    getWorld: (req) => {
      const w = state.worlds.get(req.worldId);
      if (!w) throw new ConnectError(`world ${req.worldId} not found`, Code.NotFound);
      return create(WorldResponseSchema, {
        id: req.worldId,
        name: w.name ?? '',
        usersCount: w.usersCount ?? 0,
        postsCount: w.postsCount ?? 0,
        params: w.params,
      });
    },
    healthCheck: () => ({ status: 'SERVING' }),
  };
}
