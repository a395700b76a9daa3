/**
 * How the worker's Node process is started: V8 flags on its command line and the C library's malloc settings in its
 * environment. One definition for everything that starts a worker — the Dockerfile (`CMD`, `ENV`) and `package.json`'s
 * `worker` script spell it out and test/config/deploy.test.ts checks they agree; the test and bench harnesses spawn
 * with it — so the bench measures what production runs. docs/performance-memory.md has the measurements.
 */

/** V8 flags, before the script on the command line (`node <flags> dist/worker.js`). */
export const WORKER_NODE_FLAGS: readonly string[] = [];

/**
 * Read by glibc when the process starts, so they cannot be set from inside it (nor be config variables).
 * MALLOC_ARENA_MAX=2: glibc gives every thread that mallocs its own arena (the Rust core's Tokio threads, V8's platform
 * threads, the workflow thread: 19 at idle) and keeps what each once held. Two shared arenas: idle RSS −9 MiB, 75 MiB
 * less kept after 10 concurrent worlds, no CPU cost measured.
 *
 * No V8 flag: `--max-semi-space-size=8` saves 20 MiB idle and 100–200 MiB at the peak of 10–25 worlds but adds
 * ~45 ms of GC per world; add it here (and to the Dockerfile's CMD) if memory matters more than that.
 */
export const WORKER_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
