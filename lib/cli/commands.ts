// The commands of `boundless`: each one's help (usage line, summary, the
// option table its parser checks against) and what it runs. Results go to
// stdout (JSON or JSON Lines), progress and logs to stderr.
import { listBackends } from '../backends/select.js';
import { convert, convertOptions } from './convert.js';
import type { CommandHelp } from './help.js';
import { inspectFile } from './inspect.js';
import {
  evaluateCommand, evaluateOptions, predictCommand, predictOptions, recommendCommand, recommendOptions, selectCommand,
  selectOptions,
} from './model-commands.js';
import { produceCommand, produceOptions } from './produce.js';
import { trainCommand, trainOptions } from './train.js';
import { jobCommand, jobOptions } from './cluster.js';
import { topicsCommand, topicsOptions } from './topics.js';
import { parseArguments, UsageError, type OptionSpec } from './arguments.js';
import { coverageMarkdown } from '../backends/coverage.js';
import { strictBackend } from '../backends/run-kernel.js';
import { cudaDeviceIndex } from '../backends/cuda.js';

export interface Command extends CommandHelp {
  run(argv: string[]): Promise<void>;
}

const backendsOptions: Record<string, OptionSpec> = {
  coverage: { description: 'print the kernel coverage table instead: each operation, its kernel, and the backends that run it (cpu: falls back)' },
};

const printJson = (value: unknown, indent?: number) => { process.stdout.write(JSON.stringify(value, null, indent) + '\n'); };

export const commands: Record<string, Command> = {
  train: {
    usage: 'train <algorithm> --train <path|-> [options]',
    summary: 'train an algorithm in one pass per epoch; writes model.safetensors and state.safetensors, prints the metrics (JSON)',
    options: trainOptions,
    notes: 'Algorithms: linear-learner, kmeans, pca, factorization-machines, ntm, deepar (and those of --algorithm-module).\n' +
      'Hyperparameters use SageMaker\'s names: --hp predictor_type=binary_classifier --hp mini_batch_size=100.\n' +
      "A Redis stream: --train 'redis://HOST:PORT?stream=KEY' [--job NAME] [--idle-timeout SECONDS] reads it through the consumer group\n" +
      'NAME (boundless by default; `boundless produce` writes one); its entries are acknowledged once a checkpoint or the model holds them.',
    run: async (argv) => printJson(await trainCommand(argv)),
  },
  job: {
    usage: 'job status|list|delete|fetch --cluster redis://HOST:PORT [--job NAME] [--model-dir DIR]',
    summary: 'cluster jobs in Redis: one job\'s status (JSON), the jobs, delete one, fetch a finished one\'s model and state',
    options: jobOptions,
    notes: 'status prints one object: records (in the latest merged state), state, epoch, round, members, recordsPerSecond,\n' +
      'and memberDetails per member. Members are started with boundless train ... --cluster URL --job NAME.',
    run: async (argv) => printJson(await jobCommand(argv)),
  },
  topics: {
    usage: 'topics --model FILE [--top N]',
    summary: "an ntm model's topics: each topic's top words by its row of topic_word (JSON)",
    options: topicsOptions,
    run: async (argv) => printJson(await topicsCommand(argv)),
  },
  predict: {
    usage: 'predict --model FILE --input <path|-> [options]',
    summary: 'score data with a model: one JSON line of predictions per record',
    options: predictOptions,
    run: async (argv) => {
      const { summary, toStdout } = await predictCommand(argv);
      if (!toStdout) printJson(summary);
      else if ('metrics' in summary) process.stderr.write(JSON.stringify(summary) + '\n');
    },
  },
  evaluate: {
    usage: 'evaluate --model FILE --test <path|-> [options]',
    summary: 'the model\'s metrics on labelled data (one JSON object); an input without records is an error',
    options: evaluateOptions,
    run: async (argv) => printJson(await evaluateCommand(argv)),
  },
  recommend: {
    usage: "recommend --model FILE --user 'i:v ...' --items <path|-> [options]",
    summary: 'the top N candidate items for one user (factorization machines), JSON lines',
    options: recommendOptions,
    run: (argv) => recommendCommand(argv),
  },
  select: {
    usage: 'select --state FILE --model-dir DIR [--k N | --num-components N | --criterion C | --select name=value]',
    summary: 'a model from a rich state (another k, number of components, criterion), without the data',
    options: selectOptions,
    run: async (argv) => printJson(await selectCommand(argv)),
  },
  convert: {
    usage: 'convert --input <path|-> --format F --to csv|libsvm|jsonl|recordio --output <path|->',
    summary: 'convert data between formats, streaming; \'-\' is stdin or stdout',
    options: convertOptions,
    notes: 'With --output -, the data goes to stdout and the summary (JSON) to stderr.',
    run: async (argv) => {
      const { summary, toStdout } = await convert(argv);
      (toStdout ? process.stderr : process.stdout).write(JSON.stringify(summary) + '\n');
    },
  },
  produce: {
    usage: "produce --to 'redis://HOST:PORT[/DB]?stream=KEY' --input <path|-> [options]",
    summary: 'write records to a Redis stream, a few to an entry, for train --train redis://... (prints a JSON summary)',
    options: produceOptions,
    notes: 'Entries hold fields format (the tag) and data (whole records, newline-separated); --end adds an entry with field end.\n' +
      'Backpressure: --maxlen N trims the stream (unread entries too), --max-lag N waits for the consumer group.\n' +
      "Example: boundless produce --to 'redis://localhost:6379?stream=clicks' --input clicks.csv --max-lag 10000 --end",
    run: async (argv) => printJson(await produceCommand(argv)),
  },
  inspect: {
    usage: 'inspect <state-or-model file>',
    summary: 'summarize a state or model file (JSON): algorithm, hyperparameters, tensors',
    options: {},
    run: async (argv) => {
      if (argv.length !== 1) throw new UsageError('inspect: expected one file, e.g. boundless inspect model.safetensors');
      printJson(await inspectFile(argv[0]), 2);
    },
  },
  backends: {
    usage: 'backends [--coverage]',
    summary: 'list the compute backends and why each is or is not available (JSON); --coverage: which operations each runs (Markdown)',
    options: backendsOptions,
    run: async (argv) => {
      const { options, positional } = parseArguments('backends', argv, backendsOptions, Infinity);
      if (positional.length > 0) throw new UsageError(`backends: takes no arguments, got ${positional.join(' ')}`);
      strictBackend();  // the settings a run would refuse are refused here too
      cudaDeviceIndex();
      if (options.coverage === true) process.stdout.write(coverageMarkdown());
      else printJson(await listBackends(), 2);
    },
  },
};
