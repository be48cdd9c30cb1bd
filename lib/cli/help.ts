// Help texts: `boundless --help` lists the commands, `boundless <command>
// --help` shows its usage line and every option it accepts, from the same
// option table the parser checks against, so the two cannot drift apart.
import type { OptionSpec } from './arguments.js';

export interface CommandHelp {
  /** After "Usage: boundless ". */
  usage: string;
  /** One line for the command list. */
  summary: string;
  options: Record<string, OptionSpec>;
  /** More text after the options (output, examples). */
  notes?: string;
}

export const exitCodes = 'Exit status: 0 success, 1 error (bad input, a failed run), 2 usage error (a bad command line), 130 interrupted.';

const environment = `Environment: BOUNDLESS_BACKEND=auto|cpu|cuda|webgpu, BOUNDLESS_NUM_THREADS=N,
  BOUNDLESS_STRICT_BACKEND=1 (a kernel the backend declines is an error, not a fallback to cpu),
  BOUNDLESS_CUDA_DEVICE=N, BOUNDLESS_CPU_ISA=auto|baseline|avx2|avx512, BOUNDLESS_DEBUG=1 (backend libraries' own messages)`;

// What a value looks like, by option name (an option's own placeholder wins).
const placeholders: Record<string, string> = {
  train: 'PATH', validation: 'PATH', test: 'PATH', input: 'PATH', output: 'PATH', items: 'PATH',
  model: 'FILE', state: 'FILE', hyperparameters: 'FILE', 'initial-state': 'FILE', 'algorithm-module': 'FILE',
  'model-dir': 'DIR', 'checkpoint-dir': 'DIR', 'initial-model': 'DIR',
  hp: 'NAME=VALUE', select: 'NAME=VALUE', epochs: 'N', 'keep-checkpoints': 'N', workers: 'N', 'epoch-cache': 'MiB', seed: 'N', 'shuffle-buffer': 'N', 'feature-dim': 'N',
  'mini-batch-size': 'N', 'hash-bits': 'B', top: 'N', k: 'N', 'num-components': 'N', 'max-record-bytes': 'BYTES',
  'checkpoint-every': 'Ns|Nb', 'label-size': '0|1', 'label-column': 'N', 'on-bad-record': 'error|skip', backend: 'NAME', format: 'FORMAT',
  to: 'FORMAT', delimiter: 'CHAR', threshold: 'P', criterion: 'NAME', user: "'I:V ...'",
  cluster: 'redis://HOST:PORT', job: 'NAME', prefix: 'PREFIX', 'job-ttl': 'SECONDS', 'shard-size': 'BYTES', 'round-timeout': 'SECONDS',
  lease: 'SECONDS',
};

function optionLines(options: Record<string, OptionSpec>): string[] {
  const left = Object.entries(options).map(([name, spec]) => `--${name}${spec.value ? ` ${spec.placeholder ?? placeholders[name] ?? 'VALUE'}` : ''}`);
  const width = Math.min(30, Math.max(...left.map((l) => l.length)) + 2);
  return Object.values(options).map((spec, i) => {
    const flags = [spec.required ? 'required' : '', spec.repeat ? 'repeatable' : ''].filter(Boolean).join(', ');
    const label = left[i].length >= width ? `${left[i]}\n${' '.repeat(width + 2)}` : left[i].padEnd(width);
    return `  ${label}${spec.description}${flags ? ` (${flags})` : ''}`;
  });
}

/** `boundless <command> --help`. */
export function commandHelp(help: CommandHelp): string {
  const lines = [`Usage: boundless ${help.usage}`, '', help.summary];
  if (Object.keys(help.options).length > 0) lines.push('', 'Options:', ...optionLines(help.options));
  if (help.notes) lines.push('', help.notes);
  lines.push('', exitCodes);
  return lines.join('\n') + '\n';
}

/** `boundless --help`: every command in one line. */
export function overviewHelp(commands: Record<string, CommandHelp>): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
  return [
    'Usage: boundless <command> [options]', '',
    'Streaming machine learning: SageMaker\'s built-in algorithms in one pass over the data, in fixed memory.', '',
    'Commands:',
    ...Object.entries(commands).map(([name, help]) => `  ${name.padEnd(width)}${help.summary}`),
    '', 'Run `boundless <command> --help` for its options.', '', environment, exitCodes,
  ].join('\n') + '\n';
}
