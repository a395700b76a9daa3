/**
 * Wire-compatibility tests for the four service contracts (reference spec section 9).
 * Messages are encoded with the generated code and decoded by an independent,
 * hand-written protobuf wire reader, so a wrong field number or scalar type in
 * proto/ makes these tests fail even though the generated code is self-consistent.
 */
import { describe, expect, test } from 'bun:test';
import { create, toBinary } from '@bufbuild/protobuf';
import type { DescService } from '@bufbuild/protobuf';
import {
  CharacterService,
  CreateCharacterRequestSchema,
  UpdateCharacterRequestSchema,
} from '../../src/gen/generia/character/character_pb';
import {
  ConfirmUploadRequestSchema,
  GetPresignedUploadURLRequestSchema,
  MediaService,
  MediaType,
} from '../../src/gen/media/media_pb';
import { CreateAIPostRequestSchema, PostService } from '../../src/gen/post/post_pb';
import { UpdateWorldImageRequestSchema, UpdateWorldParamsRequestSchema, WorldService } from '../../src/gen/world/world_pb';

const VARINT = 0;
const LEN = 2;

type WireField = { field: number; wireType: number; value: bigint | Uint8Array };

/** Minimal protobuf wire reader: varint (0), I64 (1), LEN (2), I32 (5). */
function readWire(bytes: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= bytes.length) throw new Error('truncated varint');
      const b = bytes[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < bytes.length) {
    const tag = varint();
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    switch (wireType) {
      case 0:
        out.push({ field, wireType, value: varint() });
        break;
      case 1:
        out.push({ field, wireType, value: bytes.slice(pos, pos + 8) });
        pos += 8;
        break;
      case 2: {
        const len = Number(varint());
        out.push({ field, wireType, value: bytes.slice(pos, pos + len) });
        pos += len;
        break;
      }
      case 5:
        out.push({ field, wireType, value: bytes.slice(pos, pos + 4) });
        pos += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${wireType}`);
    }
  }
  if (pos !== bytes.length) throw new Error('trailing bytes');
  return out;
}

const text = (v: bigint | Uint8Array): string => {
  if (typeof v === 'bigint') throw new Error('expected length-delimited value');
  return new TextDecoder().decode(v);
};

/** Compact view: [field, wireType, decoded value] in encoding order. */
function decode(bytes: Uint8Array): Array<[number, number, string | bigint]> {
  return readWire(bytes).map((f) => [f.field, f.wireType, f.wireType === LEN ? text(f.value) : (f.value as bigint)]);
}

/** Two's-complement int64 varint as a signed bigint. */
const asInt64 = (v: bigint): bigint => BigInt.asIntN(64, v);

describe('generia.character', () => {
  test('CreateCharacterRequest: world_id=1, real_user_id=2 (opt), display_name=3, avatar_media_id=4 (opt), meta=5 (opt)', () => {
    const all = create(CreateCharacterRequestSchema, {
      worldId: 'w1',
      realUserId: 'u1',
      displayName: 'Ann',
      avatarMediaId: 'm1',
      meta: '{"a":1}',
    });
    expect(decode(toBinary(CreateCharacterRequestSchema, all))).toEqual([
      [1, LEN, 'w1'],
      [2, LEN, 'u1'],
      [3, LEN, 'Ann'],
      [4, LEN, 'm1'],
      [5, LEN, '{"a":1}'],
    ]);
  });

  test('CreateCharacterRequest: optional fields keep explicit presence (empty string still encoded)', () => {
    const absent = create(CreateCharacterRequestSchema, { worldId: 'w1', displayName: 'Ann' });
    expect(decode(toBinary(CreateCharacterRequestSchema, absent))).toEqual([
      [1, LEN, 'w1'],
      [3, LEN, 'Ann'],
    ]);
    const emptyMeta = create(CreateCharacterRequestSchema, { worldId: 'w1', displayName: 'Ann', meta: '' });
    expect(decode(toBinary(CreateCharacterRequestSchema, emptyMeta))).toEqual([
      [1, LEN, 'w1'],
      [3, LEN, 'Ann'],
      [5, LEN, ''],
    ]);
  });

  test('UpdateCharacterRequest: character_id=1, display_name=2, avatar_media_id=3, avatar_url=4, meta=5 (all opt but 1)', () => {
    const msg = create(UpdateCharacterRequestSchema, {
      characterId: 'c1',
      displayName: 'D',
      avatarMediaId: 'm9',
      avatarUrl: 'http://x',
      meta: 'M',
    });
    expect(decode(toBinary(UpdateCharacterRequestSchema, msg))).toEqual([
      [1, LEN, 'c1'],
      [2, LEN, 'D'],
      [3, LEN, 'm9'],
      [4, LEN, 'http://x'],
      [5, LEN, 'M'],
    ]);
    // The worker's avatar flow: only character_id and avatar_media_id; presence is explicit.
    const avatarOnly = create(UpdateCharacterRequestSchema, { characterId: 'c1', avatarMediaId: '' });
    expect(decode(toBinary(UpdateCharacterRequestSchema, avatarOnly))).toEqual([
      [1, LEN, 'c1'],
      [3, LEN, ''],
    ]);
  });
});

describe('post', () => {
  test('CreateAIPostRequest: character_id=1, caption=2, media_id=3, world_id=4, repeated tags=5', () => {
    const msg = create(CreateAIPostRequestSchema, {
      characterId: 'c1',
      caption: 'hello',
      mediaId: 'm1',
      worldId: 'w1',
      tags: ['a', 'bb', 'ccc'],
    });
    expect(decode(toBinary(CreateAIPostRequestSchema, msg))).toEqual([
      [1, LEN, 'c1'],
      [2, LEN, 'hello'],
      [3, LEN, 'm1'],
      [4, LEN, 'w1'],
      [5, LEN, 'a'],
      [5, LEN, 'bb'],
      [5, LEN, 'ccc'],
    ]);
  });
});

describe('media', () => {
  test('GetPresignedUploadURLRequest: strings 1-4, int64 size=5, enum media_type=6', () => {
    const msg = create(GetPresignedUploadURLRequestSchema, {
      worldId: 'w1',
      characterId: 'c1',
      filename: 'generia_x.png',
      contentType: 'image/png',
      size: 5_000_000_000n, // > 2^32: only survives as a 64-bit varint
      mediaType: MediaType.POST_IMAGE,
    });
    const fields = readWire(toBinary(GetPresignedUploadURLRequestSchema, msg));
    expect(fields.map((f) => [f.field, f.wireType])).toEqual([
      [1, LEN],
      [2, LEN],
      [3, LEN],
      [4, LEN],
      [5, VARINT],
      [6, VARINT],
    ]);
    expect(text(fields[0]!.value)).toBe('w1');
    expect(text(fields[1]!.value)).toBe('c1');
    expect(text(fields[2]!.value)).toBe('generia_x.png');
    expect(text(fields[3]!.value)).toBe('image/png');
    expect(asInt64(fields[4]!.value as bigint)).toBe(5_000_000_000n);
    expect(fields[5]!.value).toBe(4n);
  });

  test('GetPresignedUploadURLRequest: negative int64 is a 10-byte two-complement varint (not sint64 zigzag)', () => {
    const msg = create(GetPresignedUploadURLRequestSchema, { size: -1n });
    const bytes = toBinary(GetPresignedUploadURLRequestSchema, msg);
    // tag(5, varint) = 0x28, then 10 bytes of 0xff..0x01.
    expect(bytes.length).toBe(11);
    expect(bytes[0]).toBe(0x28);
    expect(asInt64(readWire(bytes)[0]!.value as bigint)).toBe(-1n);
  });

  test('MediaType enum values match the server (1 header, 2 icon, 3 avatar, 4 post)', () => {
    expect([
      MediaType.UNKNOWN,
      MediaType.WORLD_HEADER,
      MediaType.WORLD_ICON,
      MediaType.CHARACTER_AVATAR,
      MediaType.POST_IMAGE,
    ]).toEqual([0, 1, 2, 3, 4]);
    // The worker sends world media with character_id "" and size 0: proto3 omits both.
    const world = create(GetPresignedUploadURLRequestSchema, {
      worldId: 'w1',
      characterId: '',
      filename: 'f.png',
      contentType: 'image/png',
      size: 0n,
      mediaType: MediaType.WORLD_HEADER,
    });
    expect(decode(toBinary(GetPresignedUploadURLRequestSchema, world))).toEqual([
      [1, LEN, 'w1'],
      [3, LEN, 'f.png'],
      [4, LEN, 'image/png'],
      [6, VARINT, 1n],
    ]);
  });

  test('ConfirmUploadRequest: media_id=1', () => {
    const msg = create(ConfirmUploadRequestSchema, { mediaId: 'm1' });
    expect(decode(toBinary(ConfirmUploadRequestSchema, msg))).toEqual([[1, LEN, 'm1']]);
  });
});

describe('world', () => {
  test('UpdateWorldImageRequest: world_id=1, image_uuid=2, icon_uuid=3', () => {
    const msg = create(UpdateWorldImageRequestSchema, { worldId: 'w1', imageUuid: 'h1', iconUuid: 'i1' });
    expect(decode(toBinary(UpdateWorldImageRequestSchema, msg))).toEqual([
      [1, LEN, 'w1'],
      [2, LEN, 'h1'],
      [3, LEN, 'i1'],
    ]);
  });

  test('UpdateWorldParamsRequest: world_id=1, params=2, name=3, int32 users_count=4, int32 posts_count=5', () => {
    const msg = create(UpdateWorldParamsRequestSchema, {
      worldId: 'w1',
      params: '{"theme":"t"}',
      name: 'N',
      usersCount: 40,
      postsCount: 300,
    });
    expect(decode(toBinary(UpdateWorldParamsRequestSchema, msg))).toEqual([
      [1, LEN, 'w1'],
      [2, LEN, '{"theme":"t"}'],
      [3, LEN, 'N'],
      [4, VARINT, 40n],
      [5, VARINT, 300n],
    ]);
  });

  test('UpdateWorldParamsRequest counts are int32, not sint32/uint32 (negative = 10-byte varint)', () => {
    const msg = create(UpdateWorldParamsRequestSchema, { usersCount: -1 });
    const fields = readWire(toBinary(UpdateWorldParamsRequestSchema, msg));
    expect(fields).toHaveLength(1);
    expect(fields[0]!.field).toBe(4);
    expect(fields[0]!.wireType).toBe(VARINT);
    // int32 sign-extends to 64 bits; sint32 would zigzag to 1, uint32 would be 2^32-1.
    expect(asInt64(fields[0]!.value as bigint)).toBe(-1n);
  });
});

describe('method paths', () => {
  const paths = (svc: DescService): string[] => svc.methods.map((m) => `/${svc.typeName}/${m.name}`);

  test('paths used by the worker exist with the exact package and service names', () => {
    expect(paths(CharacterService)).toContain('/generia.character.CharacterService/CreateCharacter');
    expect(paths(CharacterService)).toContain('/generia.character.CharacterService/UpdateCharacter');
    expect(paths(MediaService)).toContain('/media.MediaService/GetPresignedUploadURL');
    expect(paths(MediaService)).toContain('/media.MediaService/ConfirmUpload');
    expect(paths(PostService)).toContain('/post.PostService/CreateAIPost');
    expect(paths(WorldService)).toContain('/world.WorldService/UpdateWorldImage');
    expect(paths(WorldService)).toContain('/world.WorldService/UpdateWorldParams');
  });

  test('full RPC sets and request/response types', () => {
    const sig = (svc: DescService): string[] =>
      svc.methods.map((m) => `${m.name}(${m.input.typeName}) -> ${m.output.typeName} [${m.methodKind}]`).sort();
    expect(sig(CharacterService)).toEqual([
      'CreateCharacter(generia.character.CreateCharacterRequest) -> generia.character.Character [unary]',
      'GetCharacter(generia.character.GetCharacterRequest) -> generia.character.Character [unary]',
      'GetUserCharactersInWorld(generia.character.GetUserCharactersInWorldRequest) -> generia.character.CharacterList [unary]',
      'HealthCheck(generia.character.HealthCheckRequest) -> generia.character.HealthCheckResponse [unary]',
      'UpdateCharacter(generia.character.UpdateCharacterRequest) -> generia.character.Character [unary]',
    ]);
    expect(sig(MediaService)).toEqual([
      'ConfirmUpload(media.ConfirmUploadRequest) -> media.ConfirmUploadResponse [unary]',
      'GetMedia(media.GetMediaRequest) -> media.Media [unary]',
      'GetMediaURL(media.GetMediaURLRequest) -> media.GetMediaURLResponse [unary]',
      'GetPresignedUploadURL(media.GetPresignedUploadURLRequest) -> media.GetPresignedUploadURLResponse [unary]',
      'HealthCheck(media.HealthCheckRequest) -> media.HealthCheckResponse [unary]',
      'OptimizeImage(media.OptimizeImageRequest) -> media.OptimizeImageResponse [unary]',
    ]);
    expect(sig(PostService).filter((s) => s.startsWith('CreateAIPost'))).toEqual([
      'CreateAIPost(post.CreateAIPostRequest) -> post.CreatePostResponse [unary]',
    ]);
    expect(PostService.methods.map((m) => m.name).sort()).toEqual(
      [
        'CreatePost',
        'CreateAIPost',
        'GetPost',
        'GetUserPosts',
        'GetCharacterPosts',
        'GetPostsByIds',
        'GetGlobalFeed',
        'HealthCheck',
      ].sort(),
    );
    expect(sig(WorldService).filter((s) => s.startsWith('UpdateWorld'))).toEqual([
      'UpdateWorldImage(world.UpdateWorldImageRequest) -> world.UpdateWorldImageResponse [unary]',
      'UpdateWorldParams(world.UpdateWorldParamsRequest) -> world.UpdateWorldParamsResponse [unary]',
    ]);
    expect(WorldService.methods.map((m) => m.name).sort()).toEqual(
      [
        'CreateWorld',
        'GetWorld',
        'GetWorlds',
        'JoinWorld',
        'GetGenerationStatus',
        'UpdateWorldImage',
        'UpdateWorldParams',
        'HealthCheck',
      ].sort(),
    );
  });

  test('response field numbers the worker reads', () => {
    const num = (svc: DescService, method: string, field: string): [number, string] => {
      const m = svc.methods.find((x) => x.name === method)!;
      const f = m.output.fields.find((x) => x.name === field)!;
      return [f.number, f.fieldKind === 'scalar' ? String(f.scalar) : f.fieldKind];
    };
    // ScalarType: STRING = 9, INT64 = 3, BOOL = 8.
    expect(num(CharacterService, 'CreateCharacter', 'id')).toEqual([1, '9']);
    expect(num(MediaService, 'GetPresignedUploadURL', 'media_id')).toEqual([1, '9']);
    expect(num(MediaService, 'GetPresignedUploadURL', 'upload_url')).toEqual([2, '9']);
    expect(num(MediaService, 'GetPresignedUploadURL', 'expires_at')).toEqual([3, '3']);
    expect(num(MediaService, 'ConfirmUpload', 'success')).toEqual([1, '8']);
    expect(num(PostService, 'CreateAIPost', 'post_id')).toEqual([1, '9']);
    expect(num(WorldService, 'UpdateWorldParams', 'success')).toEqual([1, '8']);
  });
});
