/**
 * How much the worker logs for one world: runs worlds through the e2e harness (production build under Node 24,
 * real stack and stand-ins) and prints the stdout lines and bytes per world, grouped by level and message, most
 * frequent first. A diagnostic for docs/performance-db-runtime.md §4 (what is logged per database operation or per
 * activity at `LOG_LEVEL=info`), not a test.
 *
 *   bun run test/observability/log-volume.ts [--worlds 1] [--chars 3] [--posts 10] [--level info] [--top 25]
 */
import { parseArgs } from 'node:util';
import { stopSharedStack } from '../support/stack';
import { startWorldHarness } from '../support/world-harness';

const { values: args } = parseArgs({
  options: {
    worlds: { type: 'string', default: '1' },
    chars: { type: 'string', default: '3' },
    posts: { type: 'string', default: '10' },
    level: { type: 'string', default: 'info' },
    top: { type: 'string', default: '25' },
  },
});

const h = await startWorldHarness({ env: { LOG_LEVEL: args.level! } });
try {
  h.llm.setLatency(50);
  h.images.setLatency(20);
  const before = h.output().length;
  const worlds = Number(args.worlds);
  const ids = Array.from({ length: worlds }, () => crypto.randomUUID());
  await Promise.all(
    ids.map(async (id) => {
      await h.startWorld({ world_id: id, world_name: 'Logs', world_prompt: 'A city of clockwork gardens.', characters_count: Number(args.chars), posts_count: Number(args.posts) });
      const s = await h.waitForWorld(id, 10 * 60_000);
      if (s.status !== 'completed') throw new Error(`world ${id} ended ${s.status}: ${s.error}`);
    }),
  );
  await Bun.sleep(1000); // lines from the last activities and sinks
  const text = h.output().slice(before);
  const lines = text.split('\n').filter((l) => l.length > 0);
  const groups = new Map<string, { lines: number; bytes: number }>();
  for (const line of lines) {
    let key = '(not JSON)';
    try {
      const o = JSON.parse(line) as { level?: string; message?: string };
      key = `${o.level} ${o.message}`;
    } catch {
      // counted as not JSON
    }
    const g = groups.get(key) ?? { lines: 0, bytes: 0 };
    g.lines += 1;
    g.bytes += line.length + 1;
    groups.set(key, g);
  }
  const bytes = lines.reduce((s, l) => s + l.length + 1, 0);
  const top = [...groups.entries()].sort((a, b) => b[1].lines - a[1].lines).slice(0, Number(args.top));
  console.log(
    JSON.stringify(
      {
        level: args.level,
        worlds,
        size: `${args.chars}x${args.posts}`,
        lines_per_world: Math.round(lines.length / worlds),
        bytes_per_world: Math.round(bytes / worlds),
        by_message: Object.fromEntries(top.map(([k, g]) => [k, g])),
      },
      null,
      2,
    ),
  );
} finally {
  await h.stop();
  await stopSharedStack();
}
process.exit(0);
