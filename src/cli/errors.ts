/**
 * Exit codes of `bun run world` (documented in docs/operator-cli.md), and the one error type commands throw: its
 * message is printed as one line, without a stack, and the process exits with its code.
 */
export const EXIT = {
  ok: 0,
  /** `watch`/`cancel --wait`: the world ended failed. Also any unexpected error. */
  worldFailed: 1,
  /** Bad arguments or options (also commander's own usage errors). */
  usage: 2,
  /** No such world: neither a status document nor a workflow. */
  unknownWorld: 3,
  /** Temporal or MongoDB did not answer. */
  unreachable: 4,
  /** `watch`/`cancel --wait`: the world ended cancelled. */
  worldCancelled: 5,
  /** `watch --timeout` passed before the world ended. */
  timeout: 6,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
