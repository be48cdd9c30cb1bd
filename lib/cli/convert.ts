// `boundless convert --input X --format F --to csv|libsvm|jsonl|recordio --output Y`
import { listenForInterrupt } from './interrupt.js';
import { readBatches } from '../io/read-batches.js';
import { DataError, formatNames } from '../io/read-options.js';
import { outputFormats } from '../io/formats/row-writers.js';
import { writeRows } from '../io/write-rows.js';
import { mostlySkippedMessage, noRecordsMessage } from '../io/no-records.js';
import { isStdout } from '../io/output-file.js';
import { choiceOption, InterruptedError, parseArguments, UsageError, type OptionSpec } from './arguments.js';
import { dataOptions, readOptionsFrom } from './channels.js';
import { refuseRedisInput } from './redis-options.js';

export const convertOptions: Record<string, OptionSpec> = {
  input: { value: true, required: true, description: "a file, directory, glob, or '-' for stdin" },
  ...dataOptions,
  format: { value: true, required: true, description: formatNames.filter((f) => f !== 'series').join('|') },
  to: { value: true, required: true, description: outputFormats.join('|') },
  output: { value: true, required: true, description: "a file, or '-' for stdout" },
};

/**
 * What became of the labels, in the summary, where a reader could otherwise lose a column or a
 * label without a word: CSV's first column taken as the label by default (a file without labels
 * loses its first feature), libsvm lines given labels they did not have, libsvm labels dropped.
 */
function labelNote(from: string | undefined, to: string, labelSize: number | undefined, given: boolean, labelColumn?: number): string | undefined {
  const written = to === 'csv' ? ', written as column 1' : '';
  if (from === 'csv' && labelSize !== 0 && labelColumn !== undefined) return `column ${labelColumn + 1} of each row (--label-column ${labelColumn + 1})${written}`;
  if (from === 'csv' && !given) return "column 1 of each row, by SageMaker's CSV convention: pass --label-size 0 if the rows have no label";
  if (labelSize !== 0) return undefined;
  const dropped = from === 'csv' ? 'none (--label-size 0)' : "none kept (--label-size 0): the input's labels, where it has them, were dropped";
  return to === 'libsvm' ? `${dropped}; libsvm lines need one, so each was written with label 0` : dropped;
}

/** Converts; the summary goes to stderr when the data went to stdout. */
export async function convert(argv: string[]): Promise<{ summary: Record<string, unknown>; toStdout: boolean }> {
  const { options } = parseArguments('convert', argv, convertOptions);
  refuseRedisInput('convert', 'input', options.input);
  const data = readOptionsFrom('convert', options, { labelSize: 1 });
  if (data.format === 'series') throw new UsageError("convert: --format series (DeepAR's JSON Lines, whole time series) has no rows to convert; deepar reads it as it is");
  const to = choiceOption('convert', options, 'to', outputFormats)!;
  // Ctrl-C and SIGTERM stop the reading at the next batch (writeRows aborts the output).
  const interruption = listenForInterrupt();
  const stream = readBatches(options.input as string, { ...data, miniBatchSize: data.miniBatchSize ?? 4096, signal: interruption.signal });
  const output = options.output as string;
  // /dev/stdout, or the very file the shell redirected stdout to: the data is stdout's.
  const toStdout = output === '-' || await isStdout(output);
  let written: Awaited<ReturnType<typeof writeRows>>;
  try {
    // An input whose every record was bad is an error, and writes no file (it wrote an empty one, exit 0).
    written = await writeRows(stream, to, toStdout ? process.stdout : output, (summary) => {
      if (summary.records === 0 && Object.values(stream.stats.badRecords).some((n) => n > 0)) {
        throw new DataError(noRecordsMessage('convert', options.input as string, stream.stats.badRecords));
      }
    });
  } catch (error) {
    if (interruption.signal.aborted) throw new InterruptedError(`convert: interrupted; ${toStdout ? 'the rows written so far went to stdout' : `nothing was written to ${output}`}`);
    throw error;
  } finally {
    interruption.dispose();
  }
  const mostlyBad = mostlySkippedMessage('convert', options.input as string, written.records, stream.stats.badRecords);
  if (mostlyBad) process.stderr.write(`boundless: warning: ${mostlyBad}\n`);
  if (written.droppedWeights > 0) {
    process.stderr.write(`boundless: convert: ${written.droppedWeights} of ${written.records} rows have a weight other than 1, ` +
      `which ${to} cannot hold: they were written without it (jsonl keeps weights)\n`);
  }
  const label = labelNote(data.format, to, data.labelSize, options['label-size'] !== undefined, data.labelColumn);
  const summary = { input: options.input, output, from: data.format, to, records: written.records, bytes: written.bytes,
    featureDim: stream.featureDim, labelSize: data.labelSize, ...(label ? { label } : {}),
    // Columns not written: the summary names them as the label's is named.
    ...(data.ignoreColumns?.length ? { ignoredColumns: `column${data.ignoreColumns.length === 1 ? '' : 's'} ${data.ignoreColumns.map((c) => c + 1).join(', ')} of each row, read past (--ignore-columns)` } : {}),
    badRecords: stream.stats.badRecords,
    ...(written.droppedWeights > 0 ? { droppedWeights: written.droppedWeights } : {}) };
  return { summary, toStdout };
}
