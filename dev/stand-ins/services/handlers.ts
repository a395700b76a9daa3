/**
 * In-memory implementations of the four Generia services, following the
 * server-side behaviour the worker depends on (reference spec 8.2 and 9):
 * validation errors, creation of the media row at presign time, confirm
 * requiring an upload, and idempotency keys on creation RPCs.
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
  uploadBaseUrl: () => string;
  marks: (ctx: HandlerContext) => CallMarks;
}

const invalid = (msg: string) => new ConnectError(msg, Code.InvalidArgument);

async function idempotent<T>(deps: Deps, method: string, ctx: HandlerContext, effect: () => T): Promise<T> {
  const key = ctx.requestHeader.get(IDEMPOTENCY_HEADER);
  if (!key) return effect();
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
  return {
    createCharacter: (req, ctx) =>
      idempotent(deps, 'CreateCharacter', ctx, () => {
        if (!req.worldId) throw invalid('world_id is required');
        if (!req.displayName) throw invalid('display_name is required');
        const character = create(CharacterSchema, {
          id: randomUUID(),
          worldId: req.worldId,
          realUserId: req.realUserId,
          isAi: req.realUserId === undefined,
          displayName: req.displayName,
          avatarMediaId: req.avatarMediaId,
          avatarUrl: '',
          meta: req.meta,
          createdAt: new Date().toISOString(),
        });
        state.characters.set(character.id, character);
        return character;
      }),
    getCharacter: (req) => {
      const c = state.characters.get(req.characterId);
      if (!c) throw new ConnectError(`character ${req.characterId} not found`, Code.NotFound);
      return c;
    },
    updateCharacter: (req) => {
      if (!req.characterId) throw invalid('character_id is required');
      const c = state.characters.get(req.characterId);
      if (!c) throw new ConnectError(`character ${req.characterId} not found`, Code.NotFound);
      if (req.displayName !== undefined) c.displayName = req.displayName;
      if (req.avatarMediaId !== undefined) c.avatarMediaId = req.avatarMediaId;
      if (req.avatarUrl !== undefined) c.avatarUrl = req.avatarUrl;
      if (req.meta !== undefined) c.meta = req.meta;
      return c;
    },
    healthCheck: () => ({ status: 'SERVING' }),
  };
}

export function postImpl(deps: Deps): Partial<ServiceImpl<typeof PostService>> {
  const { state } = deps;
  return {
    createAIPost: (req, ctx) =>
      idempotent(deps, 'CreateAIPost', ctx, () => {
        if (!req.characterId) throw invalid('character_id is required');
        if (!req.worldId) throw invalid('world_id is required');
        if (!req.mediaId) throw invalid('media_id is required');
        const media = state.media.get(req.mediaId);
        if (!media) throw new ConnectError(`media ${req.mediaId} not found`, Code.NotFound);
        if (!media.confirmed) throw new ConnectError(`media ${req.mediaId} is not confirmed`, Code.FailedPrecondition);
        const post: StandInPost = {
          postId: randomUUID(),
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
