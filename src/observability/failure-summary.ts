/**
 * Repeated activity failures, summarised. A provider outage makes every attempt of every LLM activity fail the same
 * way; one warning per attempt buries everything else. The first failure of a kind (activity type + error type +
 * message) in a window is logged; later ones in the same window are only counted, and the next failure of that kind
 * after the window (or `flush()` at shutdown) writes one line saying how many were held back.
 */
export interface FailureSummary {
  /** True when this failure should be logged now; false when it was counted into a summary. */
  admit(fields: Record<string, unknown>): boolean;
  flush(): void;
}

interface Held {
  since: number;
  count: number;
  sample: Record<string, unknown>;
}

const MAX_KINDS = 1000;

export function createFailureSummary(
  emit: (fields: Record<string, unknown>, message: string) => void,
  opts: { failureWindowMs?: number; now?: () => number } = {},
): FailureSummary {
  const windowMs = opts.failureWindowMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const kinds = new Map<string, Held>();
  const summarise = (held: Held, at: number) => {
    if (held.count === 0) return;
    const { activity_type, error_type, error, world_id } = held.sample;
    emit({ activity_type, error_type, error, world_id, repeated: held.count, window_ms: at - held.since }, 'activity failures repeated');
  };
  return {
    admit(fields) {
      const key = `${String(fields.activity_type)}|${String(fields.error_type)}|${String(fields.error).slice(0, 200)}`;
      const at = now();
      const held = kinds.get(key);
      if (held && at - held.since < windowMs) {
        held.count += 1;
        return false;
      }
      if (held) summarise(held, at);
      if (kinds.size >= MAX_KINDS) kinds.clear(); // bounded memory: a flood of distinct messages only loses counts
      kinds.set(key, { since: at, count: 0, sample: fields });
      return true;
    },
    flush() {
      const at = now();
      for (const held of kinds.values()) summarise(held, at);
      kinds.clear();
    },
  };
}
