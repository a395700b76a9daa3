import { spawn, type ChildProcess } from 'node:child_process';

/** Keeps the last `max` lines written to a stream, for failure messages. */
class LineTail {
  private readonly lines: string[] = [];
  private partial = '';
  constructor(private readonly max = 30) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
  }

  private add(line: string): void {
    if (line.trim() === '') return;
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }

  text(): string {
    const all = this.partial.trim() === '' ? this.lines : [...this.lines, this.partial];
    return all.slice(-this.max).join('\n');
  }
}

export type ExitInfo = { code: number | null; signal: NodeJS.Signals | null };

/** A long-running child (a server) whose output tail is kept for error messages. */
export class ManagedProcess {
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;
  private readonly tail = new LineTail();

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly stopSignal: NodeJS.Signals = 'SIGTERM',
  ) {
    if (child.pid === undefined) throw new Error(`${name}: spawn failed (no pid)`);
    this.pid = child.pid;
    child.stdout?.on('data', (c: Buffer) => this.tail.push(c));
    child.stderr?.on('data', (c: Buffer) => this.tail.push(c));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
      });
    });
    live.add(this);
  }

  /** `stopSignal`: what {@link stop} sends first (PostgreSQL: SIGINT, its fast shutdown; SIGTERM waits for clients). */
  static spawn(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env, stopSignal: NodeJS.Signals = 'SIGTERM'): Promise<ManagedProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
      child.once('error', (err) => reject(new Error(`${name}: could not start ${command}: ${err.message}`)));
      child.once('spawn', () => resolve(new ManagedProcess(name, child, stopSignal)));
    });
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Last lines of the child's stdout+stderr. */
  output(): string {
    return this.tail.text();
  }

  describeExit(): string {
    const info = this.exitInfo;
    const how = info === undefined ? 'is running' : info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
    const out = this.output();
    return `${this.name} (pid ${this.pid}) ${how}${out ? `; last output:\n${indent(out)}` : ' (no output)'}`;
  }

  /** SIGTERM (or the process's stop signal), then SIGKILL after `graceMs`; resolves once the process has exited. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.hasExited) return;
    this.signal(this.stopSignal);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      this.signal('SIGKILL');
      await this.exited;
    }
  }

  /** Synchronous last resort used from a process 'exit' handler. */
  killNow(): void {
    if (!this.hasExited) this.signal('SIGKILL');
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      process.kill(this.pid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

/** If the parent exits without calling stop(), do not leave servers behind. */
export function installExitHook(cleanup: () => void): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) p.killNow();
    cleanup();
  });
}

export function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

/** Runs a command to completion; rejects with the output tail on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = new LineTail(40);
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      tail.push(c);
      if (opts.onLine) for (const l of c.toString().split('\n')) if (l.trim()) opts.onLine(l);
    });
    child.once('error', (err) => reject(new Error(`could not run ${command}: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(
            `\`${[command, ...args].join(' ')}\` failed (${signal ?? `exit ${code}`}); last output:\n${indent(tail.text() || stdout.slice(-2000))}`,
          ),
        );
    });
  });
}
