#!/usr/bin/env node
// The `boundless` command. Results go to stdout as JSON; errors are one
// line on stderr and a non-zero exit. Commands arrive with the issues that
// build them (train, predict, evaluate, recommend, convert, select, serve).
import '../algorithms/builtin.js';
import { listBackends } from '../backends/select.js';
import { inspectFile } from './inspect.js';
import { convert } from './convert.js';
import { trainCommand } from './train.js';
import { evaluateCommand, predictCommand, recommendCommand, selectCommand } from './model-commands.js';

const usage = `usage: boundless <command> [options]

commands:
  train <algorithm> --train <path|-> [--validation P] [--test P] [--format F] [--hp name=value ...]
          [--hyperparameters file.json] [--epochs N] [--model-dir DIR] [--checkpoint-dir DIR]
          [--checkpoint-every SECONDS|Nb] [--resume] [--initial-state FILE] [--backend B]
          [--on-bad-record error|skip] [--label-size 0|1] [--header] [--seed N] [--deterministic]
          [--sagemaker-metrics] [--algorithm-module FILE]
                           train; writes model.safetensors and state.safetensors; metrics as JSON
  predict --model FILE --input <path|-> [--format F] [--output <path|->]
                           one JSON line of predictions per record
  evaluate --model FILE --test PATH [--format F]
                           one JSON object of metrics
  recommend --model FILE --user 'i:v …' --items <path|-> [--top N] [--format F]
                           the top N candidate items for one user (factorization machines), JSON lines
  select --state FILE --model-dir DIR [--k N | --num-components N | --criterion C | --select name=value]
                           a model from a rich state, without touching the data
  backends                 list the compute backends and why each is or is not available (JSON)
  inspect <file>           summarize a state or model file (JSON)
  convert --input X --format csv|libsvm|vw|jsonl|recordio --to csv|libsvm|jsonl|recordio --output Y
          [--feature-dim N] [--label-size 0|1] [--header] [--delimiter C] [--zero-based]
          [--hash-bits B] [--sparse] [--on-bad-record error|skip]
                           convert data between formats, streaming; '-' is stdin/stdout
  help                     this text

environment: BOUNDLESS_BACKEND=auto|cpu|cuda|webgpu, BOUNDLESS_NUM_THREADS=N,
             BOUNDLESS_CPU_ISA=auto|baseline|avx2|avx512`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'backends':
      process.stdout.write(JSON.stringify(await listBackends(), null, 2) + '\n');
      return 0;
    case 'inspect':
      if (rest.length !== 1) throw new Error('inspect: expected one file, e.g. boundless inspect model.safetensors');
      process.stdout.write(JSON.stringify(await inspectFile(rest[0]), null, 2) + '\n');
      return 0;
    case 'train':
      process.stdout.write(JSON.stringify(await trainCommand(rest)) + '\n');
      return 0;
    case 'predict': {
      const summary = await predictCommand(rest);
      if (summary.output !== '-') process.stdout.write(JSON.stringify(summary) + '\n');
      return 0;
    }
    case 'evaluate':
      process.stdout.write(JSON.stringify(await evaluateCommand(rest)) + '\n');
      return 0;
    case 'select':
      process.stdout.write(JSON.stringify(await selectCommand(rest)) + '\n');
      return 0;
    case 'recommend':
      await recommendCommand(rest);
      return 0;
    case 'convert': {
      const summary = await convert(rest);
      // With --output -, stdout carries the data: the summary goes to stderr.
      (summary.output === '-' ? process.stderr : process.stdout).write(JSON.stringify(summary) + '\n');
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage + '\n');
      return command === undefined ? 2 : 0;
    default:
      throw new Error(`unknown command '${command}'; run \`boundless help\` for the list`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: Error) => {
    process.stderr.write(`boundless: ${error.message.split('\n').join('\n  ')}\n`);
    process.exitCode = 1;
  },
);
