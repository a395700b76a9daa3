/**
 * `bun run world <command>` — create, watch, inspect and stop worlds as an operator: a Temporal client under Bun
 * plus read access to the status database. Settings come from the worker's variables (settings.ts); exit codes are
 * in errors.ts and docs/operator-cli.md.
 *
 * commander parses the arguments (the standard, maintained Node parser: subcommands, `--help` on each, typed option
 * parsing and usage errors), so none of that is hand-written here.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { openConnections, type Connections } from './connections';
import { cancel, cost, createWorld, LIST_STATES, list, status, watch, type Out } from './commands';
import { CliError, EXIT } from './errors';
import { readSettings } from './settings';
import { checkWorldId } from './world-view';

const int = (what: string, min: number) => (raw: string) => {
  const n = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be an integer ≥ ${min}`);
  return n;
};
const seconds = (raw: string) => int('seconds', 1)(raw) * 1000;

const ENV_HELP = `
Environment: TEMPORAL_ADDRESS (or TEMPORAL_HOST; default localhost:7233), TEMPORAL_NAMESPACE (default),
MONGODB_URI (default mongodb://localhost:27017/), MONGODB_DATABASE (generia_ai_worker).
Exit codes: 0 ok, 1 world failed, 2 bad arguments, 3 unknown world, 4 server unreachable, 5 world cancelled,
6 timed out.`;

export function buildProgram(conns: () => Connections, out: Out, setExit: (code: number) => void): Command {
  const program = new Command('world')
    .description('Create, watch, inspect and cancel Generia worlds.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.stdout.write(s), writeErr: (s) => out.stderr.write(s) })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', ENV_HELP);

  program
    .command('create')
    .description('start a world exactly as world-service does and print its id')
    .requiredOption('-p, --prompt <text>', "the user's idea for the world")
    .option('-n, --name <name>', 'world name (empty: the generated name is used)', '')
    .option('-c, --characters <n>', 'characters to create (1–40)', int('--characters', 0), 25)
    .option('-P, --posts <n>', 'posts to create in total (1–250)', int('--posts', 0), 150)
    .option('--llm-limit <n>', 'most LLM calls the world may make', int('--llm-limit', 1))
    .option('--image-limit <n>', 'most image calls the world may make', int('--image-limit', 1))
    .option('--id <uuid>', 'world id (default: a fresh UUID)')
    .option('-w, --watch', 'then watch it until it ends (exit code as for watch)')
    .action(async (o: { prompt: string; name: string; characters: number; posts: number; llmLimit?: number; imageLimit?: number; id?: string; watch?: boolean }) => {
      const worldId = await createWorld(conns(), { ...o, ...(o.id !== undefined ? { id: checkWorldId(o.id) } : {}) });
      out.stdout.write(`${worldId}\n`);
      if (o.watch) setExit(await watch(conns(), worldId, { intervalMs: 500 }, out));
    });

  program
    .command('status')
    .description("a world's stages, counters, calls and costs")
    .argument('<world-id>')
    .option('--json', 'print the status as JSON')
    .action(async (id: string, o: { json?: boolean }) => setExit(await status(conns(), checkWorldId(id), o, out)));

  program
    .command('watch')
    .description('follow a world until it ends: bars in a terminal, JSON lines otherwise; exit 0 completed, 1 failed, 5 cancelled')
    .argument('<world-id>')
    .option('--json', 'JSON lines even in a terminal')
    .option('--interval <ms>', 'poll interval', int('--interval', 100), 500)
    .option('--timeout <seconds>', 'give up after this long (exit 6)', seconds)
    .action(async (id: string, o: { json?: boolean; interval: number; timeout?: number }) =>
      setExit(await watch(conns(), checkWorldId(id), { intervalMs: o.interval, ...(o.timeout !== undefined ? { timeoutMs: o.timeout } : {}), ...(o.json ? { json: true } : {}) }, out)),
    );

  program
    .command('cancel')
    .description('stop a world and its whole workflow tree; it ends failed with error "cancelled"')
    .argument('<world-id>')
    .option('--wait', 'wait until the world has settled')
    .option('--timeout <seconds>', 'with --wait: give up after this long (exit 6)', seconds)
    .action(async (id: string, o: { wait?: boolean; timeout?: number }) =>
      setExit(await cancel(conns(), checkWorldId(id), { ...(o.wait ? { wait: true } : {}), ...(o.timeout !== undefined ? { timeoutMs: o.timeout } : {}) }, out)),
    );

  program
    .command('list')
    .description('recent worlds with their state and cost, newest first')
    .addOption(new Option('-s, --state <state>', 'only worlds in this state').choices(LIST_STATES))
    .option('-l, --limit <n>', 'how many', int('--limit', 1), 20)
    .addOption(
      new Option('--source <source>', 'mongo: the status documents (every world); temporal: the search attributes GeneriaWorldId/GeneriaWorldState')
        .choices(['mongo', 'temporal'])
        .default('mongo'),
    )
    .option('--json', 'print JSON')
    .action(async (o: { state?: string; limit: number; json?: boolean; source: 'mongo' | 'temporal' }) => setExit(await list(conns(), o, out)));

  program
    .command('cost')
    .description("a world's spend and tokens by step and model")
    .argument('<world-id>')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => setExit(await cost(conns(), checkWorldId(id), o, out)));

  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
}

/** Runs the CLI and returns the exit code (never throws). */
export async function runCli(argv: string[], out: Out = { stdout: process.stdout, stderr: process.stderr }, env = process.env): Promise<number> {
  let connections: Connections | undefined;
  const conns = () => (connections ??= openConnections(readSettings(env)));
  let code: number = EXIT.ok;
  try {
    await buildProgram(conns, out, (c) => (code = c)).parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are "errors" under exitOverride; commander already printed its usage message.
      code = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else if (err instanceof CliError) {
      out.stderr.write(`world: ${err.message}\n`);
      code = err.exitCode;
    } else {
      out.stderr.write(`world: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
      code = EXIT.worldFailed;
    }
  } finally {
    await connections?.close();
  }
  return code;
}

if (import.meta.main) {
  const code = await runCli(process.argv.slice(2));
  // gRPC and driver sockets can keep the loop alive for a while after close(); this is a one-shot command.
  process.exit(code);
}
