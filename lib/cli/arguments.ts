// Command-line options: `--name value`, `--name=value` and `--flag`, read
// against a declared set so a misspelt or missing option is one clear line.
export interface OptionSpec {
  /** Takes a value (otherwise a flag). */
  value?: boolean;
  /** May be given several times (values collected in order). */
  repeat?: boolean;
  required?: boolean;
  description: string;
  /** How the value is shown in help (default VALUE): PATH, N, NAME=VALUE. */
  placeholder?: string;
}

export type ParsedArguments = { options: Record<string, string | boolean | string[]>; positional: string[] };

export class UsageError extends Error {
  override name = 'UsageError';
}

/** A run stopped by SIGINT or SIGTERM (exit status 130, as shells report an interrupted command). */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
}

// An empty value (an unset shell variable, `--train "$DATA"`) is refused naming the option: the
// reader's error could not say which channel it was, `--model-dir ''` wrote the model into the
// working directory, and `--checkpoint-dir ''` trained without checkpoints, without a word. What
// the data options take is said here; the others' descriptions say theirs.
const emptyPathAdvice: Record<string, string> = {
  train: "give a file, a directory, a glob or '-'",
  validation: "give a file, a directory, a glob or '-'",
  test: "give a file, a directory, a glob or '-'",
  input: "give a file, a directory, a glob or '-'",
  output: "give a file, or '-' for stdout",
};

/** `allowedPositional`: the words the command takes besides its options (train's algorithm name); more is a usage error. */
export function parseArguments(command: string, argv: string[], specs: Record<string, OptionSpec>, allowedPositional = 0): ParsedArguments {
  const options: Record<string, string | boolean | string[]> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    const spec = specs[name];
    if (!spec) throw new UsageError(`${command}: unknown option --${name}; known: ${Object.keys(specs).map((s) => `--${s}`).join(', ')}`);
    let value: string | boolean = true;
    if (spec.value) {
      // The next word is another of the command's options: this one's value is missing (`--seed --epochs 2` read
      // --epochs as the seed and then complained of a second algorithm name).
      const next = argv[i + 1];
      const nextIsOption = next !== undefined && next.startsWith('--') && Object.hasOwn(specs, next.slice(2).split('=')[0]);
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length && !nextIsOption) value = argv[++i];
      else throw new UsageError(`${command}: --${name} needs a value (${spec.description})`);
    } else if (eq >= 0) {
      throw new UsageError(`${command}: --${name} is a flag and takes no value`);
    }
    if (value === '') throw new UsageError(`${command}: --${name} is empty${name in emptyPathAdvice ? `: ${emptyPathAdvice[name]}` : `; --${name}: ${spec.description}`}`);
    if (spec.repeat) options[name] = [...((options[name] as string[]) ?? []), value as string];
    else if (name in options) throw new UsageError(`${command}: --${name} is given twice`);
    else options[name] = value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && !(name in options)) throw new UsageError(`${command}: --${name} is required (${spec.description})`);
  }
  if (positional.length > allowedPositional) throw strayArgument(command, positional[allowedPositional], positional.length - allowedPositional);
  return { options, positional };
}

/**
 * An argument no option takes: most often the second path of a glob the shell expanded (`--input
 * parts/*.csv` unquoted), which predict and evaluate had dropped with exit 0, reading the first file alone.
 */
function strayArgument(command: string, first: string, count: number): UsageError {
  const path = /[/\\.]/.test(first);
  return new UsageError(`${command}: unexpected argument ${JSON.stringify(first)}${count > 1 ? ` (and ${count - 1} more)` : ''}: each value ` +
    `follows its option (--name value)${path ? '. Several paths from a glob the shell expanded? Quote the glob, as in \'data/*.csv\': boundless expands it itself' : ''}`);
}

/** A positive integer option, or undefined when absent. */
export function integerOption(command: string, options: ParsedArguments['options'], name: string, min = 1): number | undefined {
  const raw = options[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || value < min) {
    throw new UsageError(`${command}: --${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  // Digits past 2^53 − 1 would be read as another number: said so, not called "not an integer".
  if (!Number.isSafeInteger(value)) throw new UsageError(`${command}: --${name} must be at most 2^53 − 1 (9007199254740991), got ${raw}`);
  return value;
}

export function choiceOption<T extends string>(command: string, options: ParsedArguments['options'], name: string,
  choices: readonly T[]): T | undefined {
  const raw = options[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !choices.includes(raw as T)) {
    throw new UsageError(`${command}: --${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}
