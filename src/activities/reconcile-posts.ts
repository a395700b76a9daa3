/**
 * Finds a post that a CreateAIPost with a lost response may have created, through the read RPC post-service
 * already offers: GetCharacterPosts (newest first, LIMIT/OFFSET). Its Post message has no media_id, but its
 * `media_url` is media-service's presigned URL of the post's image object `<world>/<character>/posts/<media_id><ext>`
 * (or of a `<media_id>_<variant>` object), and every post has its own media id — so the media id in the URL
 * identifies the post.
 *
 * Paging while other posts of the same character are being created is safe: new rows appear at the top of a
 * `created_at DESC` order and only push older rows to higher offsets, so a page may repeat a row but never skips
 * one. The Go service leaves `media_url` empty when its call to media-service fails; such a row cannot be ruled
 * out, so a search that found no match but met one is inconclusive.
 */
import type { Client } from '@connectrpc/connect';
import type { PostService } from '../gen/post/post_pb';

export type PostSearch = { kind: 'found'; postId: string } | { kind: 'absent'; scanned: number } | { kind: 'inconclusive'; unreadable: number; scanned: number };

export interface FindPostOptions {
  /** Rows per GetCharacterPosts call. @default 100 (the Go service has no maximum; each row costs it one media-service call). */
  pageSize?: number;
  /** Upper bound on calls; beyond it the search is inconclusive. @default 50 */
  maxPages?: number;
  signal?: AbortSignal;
}

/** True if `url`'s last path segment names the object of `mediaId` (`<id>`, `<id>.<ext>` or `<id>_<variant>…`). */
export function urlNamesMedia(url: string, mediaId: string): boolean {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return false;
  }
  const last = decodeURIComponent(path.split('/').pop() ?? '').toLowerCase();
  const id = mediaId.toLowerCase();
  if (!last.startsWith(id)) return false;
  const next = last.charAt(id.length);
  return next === '' || next === '.' || next === '_';
}

/** Searches the character's posts for one whose image is any of `mediaIds` (see the module comment). */
export async function findPostByMedia(
  post: Client<typeof PostService>,
  characterId: string,
  mediaIds: readonly string[],
  opts: FindPostOptions = {},
): Promise<PostSearch> {
  const pageSize = opts.pageSize ?? 100;
  const maxPages = opts.maxPages ?? 50;
  let offset = 0;
  let unreadable = 0;
  let scanned = 0;
  for (let page = 0; page < maxPages; page++) {
    const res = await post.getCharacterPosts({ characterId, limit: pageSize, offset }, opts.signal ? { signal: opts.signal } : {});
    for (const p of res.posts) {
      scanned += 1;
      if (p.mediaUrl === '') unreadable += 1;
      else if (mediaIds.some((id) => urlNamesMedia(p.mediaUrl, id))) return { kind: 'found', postId: p.postId };
    }
    offset += res.posts.length;
    if (res.posts.length < pageSize || offset >= res.total) {
      return unreadable > 0 ? { kind: 'inconclusive', unreadable, scanned } : { kind: 'absent', scanned };
    }
  }
  return { kind: 'inconclusive', unreadable, scanned };
}
