/**
 * `world watch`: follows a world until it ends. In a terminal it draws one bar per stage — the characters and posts
 * stages count their items, with rate and ETA — using cli-progress (a maintained multi-bar renderer that redraws in
 * place; hand-rolled cursor control is what it saves us). Anywhere else (a pipe, CI, a file) it prints one JSON
 * object per line whenever the world changes, the last one carrying the final state.
 *
 * The figures come from the status document (polled like world-service polls it), so they are exact; the loop
 * ends when its `status` is final, and the exit code says how the world ended.
 */
import cliProgress from 'cli-progress';
import type { Db } from 'mongodb';
import { EXIT } from './errors';
import { formatStatus } from './format';
import { isFinal, readStatus, viewOf, type WorldView } from './world-view';

export interface WatchOptions {
  intervalMs: number;
  /** Give up (exit 6) after this long; undefined waits for ever. */
  timeoutMs?: number;
  /** Draw bars (a TTY) or print JSON lines. */
  tty: boolean;
  out: NodeJS.WritableStream;
}

export const exitCodeFor = (state: WorldView['state']) =>
  state === 'completed' ? EXIT.ok : state === 'cancelled' ? EXIT.worldCancelled : state === 'failed' ? EXIT.worldFailed : EXIT.timeout;

interface Renderer {
  update(view: WorldView): void;
  finish(view: WorldView, timedOut: boolean): void;
}

/** Watches `worldId` (already known to exist) and returns the exit code. */
export async function watchWorld(db: Db, worldId: string, opts: WatchOptions): Promise<number> {
  const render = opts.tty ? barsRenderer(opts.out) : jsonLinesRenderer(opts.out);
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  let view = viewOf(worldId, await readStatus(db, worldId));
  for (;;) {
    render.update(view);
    if (isFinal(view.state)) break;
    if (Date.now() >= deadline) {
      render.finish(view, true);
      return EXIT.timeout;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs));
    view = viewOf(worldId, await readStatus(db, worldId));
  }
  render.finish(view, false);
  return exitCodeFor(view.state);
}

function jsonLinesRenderer(out: NodeJS.WritableStream): Renderer {
  let last = '';
  const emit = (view: WorldView, extra: Record<string, unknown> = {}) => {
    const { updated_at: _ignored, ...rest } = view;
    const key = JSON.stringify(rest);
    if (key === last && Object.keys(extra).length === 0) return;
    last = key;
    out.write(`${JSON.stringify({ time: new Date().toISOString(), ...view, ...extra })}\n`);
  };
  return {
    // The final view is printed once, by finish(), marked `final`.
    update: (view) => (isFinal(view.state) ? undefined : emit(view)),
    finish: (view, timedOut) => emit(view, { final: !timedOut, ...(timedOut ? { timed_out: true } : {}) }),
  };
}

/** Units done per second since the watch first saw the count, and the seconds left at that rate. */
class Rate {
  private first: { at: number; value: number } | undefined;
  measure(value: number, total: number): { rate: string; eta: string } {
    const now = Date.now();
    this.first ??= { at: now, value };
    const seconds = (now - this.first.at) / 1000;
    const perSecond = seconds > 0 ? (value - this.first.value) / seconds : 0;
    if (value >= total && total > 0) return { rate: perSecond > 0 ? `${perSecond.toFixed(2)}/s` : '', eta: 'done' };
    if (perSecond <= 0) return { rate: '', eta: '--' };
    return { rate: `${perSecond.toFixed(2)}/s`, eta: `${Math.ceil((total - value) / perSecond)}s` };
  }
}

function barsRenderer(out: NodeJS.WritableStream): Renderer {
  const multi = new cliProgress.MultiBar(
    {
      stream: out,
      // `left`, not `eta`: cli-progress fills {eta} with its own estimate, which knows nothing of our polling.
      format: '{label} |{bar}| {value}/{total} {status} {rate} ETA {left}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, { bar: cliProgress.SingleBar; rate: Rate }>();
  let header: cliProgress.SingleBar | undefined;
  const started = Date.now();

  return {
    update(view) {
      header ??= multi.create(1, 0, {}, { format: '{text}' });
      const elapsed = `${((Date.now() - started) / 1000).toFixed(0)}s`;
      header.update(0, { text: `world ${view.world_id}: ${view.state} · ${elapsed} · cost $${view.cost.total.toFixed(4)} · LLM ${view.calls.llm} images ${view.calls.images}` });
      for (const stage of view.stages) {
        const [value, total] =
          stage.name === 'characters'
            ? [view.characters.created, view.characters.requested]
            : stage.name === 'posts'
              ? [view.posts.created + view.posts.failed, view.posts.requested]
              : [stage.status === 'completed' || stage.status === 'failed' ? 1 : 0, 1];
        let entry = bars.get(stage.name);
        if (!entry) {
          entry = { bar: multi.create(Math.max(total, 1), value, { label: stage.name.padEnd(17), status: '', rate: '', left: '' }), rate: new Rate() };
          bars.set(stage.name, entry);
        }
        entry.bar.setTotal(Math.max(total, 1));
        const counted = stage.name === 'characters' || stage.name === 'posts';
        const { rate, eta } = counted ? entry.rate.measure(value, total) : { rate: '', eta: stage.status === 'completed' ? 'done' : '--' };
        entry.bar.update(value, { status: stage.status, rate, left: eta });
      }
    },
    finish(view, timedOut) {
      multi.update();
      multi.stop();
      out.write(`${timedOut ? 'timed out; the world goes on\n' : ''}${formatStatus(view)}\n`);
    },
  };
}
