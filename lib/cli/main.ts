#!/usr/bin/env node
// The `boundless` command. Results go to stdout as JSON; errors are one
// line on stderr. Exit status: 0 success, 1 error, 2 usage error, 130
// interrupted (SIGINT, SIGTERM; a checkpoint is written first). When the
// reader of stdout goes away (`boundless predict ... | head -1`), the
// command stops quietly with status 0, as Unix filters do.
import '../algorithms/builtin.js';
import { HyperparameterError } from '../algorithms/hyperparameters.js';
import { loadCoreAddon } from '../backends/native-addon.js';
import { InterruptedError, UsageError } from './arguments.js';
import { commands } from './commands.js';
import { commandHelp, overviewHelp } from './help.js';

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(overviewHelp(commands));
    return 2;
  }
  if (name === 'help' || isHelp(name)) {
    const topic = rest[0];
    if (topic !== undefined && !commands[topic]) throw new UsageError(`help: unknown command '${topic}'; run \`boundless help\` for the list`);
    process.stdout.write(topic ? commandHelp(commands[topic]) : overviewHelp(commands));
    return 0;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command '${name}'; run \`boundless help\` for the list`);
  const end = rest.indexOf('--');
  if (rest.slice(0, end < 0 ? undefined : end).some(isHelp)) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  warnAboutEnvironment();
  await command.run(rest);
  return 0;
}

/**
 * An unusable BOUNDLESS_NUM_THREADS or BOUNDLESS_CPU_ISA falls back to the default (the native
 * runtime's rule); say so on stderr rather than only in `boundless backends`.
 */
function warnAboutEnvironment(): void {
  if (!process.env.BOUNDLESS_NUM_THREADS && !process.env.BOUNDLESS_CPU_ISA) return;
  let warnings: string[];
  try {
    warnings = loadCoreAddon().runtimeInfo().warnings;
  } catch {
    return;  // the addon's own error comes with the command that needs it
  }
  for (const warning of warnings) process.stderr.write(`boundless: warning: ${warning}\n`);
}

/** The reader of our stdout is gone (EPIPE): nothing more can be delivered, and that is not an error. */
function isBrokenPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';
}

process.stdout.on('error', (error) => {
  if (isBrokenPipe(error)) process.exit(0);
  process.stderr.write(`boundless: stdout: ${error.message}\n`);
  process.exit(1);
});

/**
 * Ends the process once stdout and stderr have taken what was written. A finished command does not
 * wait for a library's housekeeping: ioredis's reply parser keeps a 50 ms interval going after a
 * large reply (a cluster job's merged state) until its buffer pool has shrunk, which held a member
 * that had finished for 1–2.5 s more.
 */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  // A write that failed (stdout on a full disk, /dev/full) reports it here, in this callback: the
  // 'error' event would come after the exit, and the command ended 0 with its output lost.
  process.stdout.write('', (error) => {
    if (error && isBrokenPipe(error)) process.exit(code);
    let status = code;
    if (error) {
      process.stderr.write(`boundless: stdout: ${error.message}\n`);
      if (status === 0) status = 1;
    }
    process.stderr.write('', () => process.exit(status));
  });
}

// A command whose work stopped on a promise nothing will settle (a write waiting for a 'drain' that a
// failed stream never emits) left the event loop empty, and Node ended with status 0 and the
// output cut short. That is a bug, and says so.
let settled = false;
process.on('beforeExit', () => {
  if (settled) return;
  process.stderr.write('boundless: the command stopped before it finished, waiting on nothing (a bug): please report it\n');
  process.exit(1);
});

main(process.argv.slice(2)).finally(() => { settled = true; }).then(
  (code) => exitWhenFlushed(code),
  (error: Error) => {
    if (isBrokenPipe(error)) process.exit(0);
    process.stderr.write(`boundless: ${error.message.split('\n').join('\n  ')}\n`);
    exitWhenFlushed(error instanceof InterruptedError ? 130
      : error instanceof UsageError || error instanceof HyperparameterError ? 2 : 1);
  },
);
