// "No records" said so that a channel whose every record was skipped as bad (--on-bad-record
// skip over a file in the wrong format, say) does not read as an empty file; and a channel most
// of whose records were skipped said so, rather than a model of what little was left.

/** An input as the messages name it: `-` is stdin (as train names its channels). */
const named = (input: string) => (input === '-' ? 'stdin' : input);

/** Records skipped in all, and their reasons as said (`unparsable_number 2, column_count 1`). */
export function skippedCounts(badRecords: Record<string, number>): { total: number; reasons: string } {
  const entries = Object.entries(badRecords).filter(([, n]) => n > 0);
  return { total: entries.reduce((sum, [, n]) => sum + n, 0), reasons: entries.map(([reason, n]) => `${reason} ${n}`).join(', ') };
}

/**
 * The message for a read that gave no records: `${subject}: no records in ${where}`, and when
 * records were skipped, how many and why (`badRecords`: reason → count, as BatchStream.stats has).
 * A forecaster's records are series: `['series', 'series']`.
 */
export function noRecordsMessage(subject: string, input: string, badRecords: Record<string, number> = {}, [one, many] = ['record', 'records']): string {
  const where = named(input);
  const { total, reasons } = skippedCounts(badRecords);
  if (total === 0) return `${subject}: no ${many} in ${where}`;
  const read = total === 1 ? `the one ${one} read was` : `all ${total} ${many} read were`;
  return `${subject}: no ${many} in ${where}: ${read} skipped as bad (${reasons}); is the data in the format given?`;
}

/**
 * A warning when more records were skipped as bad than were read (`read`: the records kept), or
 * undefined: a file in the wrong format, or a bad first line that made every later one look bad,
 * still trains on what little was left, and exits 0. `use`: what the records left are for; `many`:
 * what they are (a forecaster's are series).
 */
export function mostlySkippedMessage(subject: string, where: string, read: number, badRecords: Record<string, number>,
  use = subject === 'convert' ? 'the output holds' : 'the model learned from', many = 'records'): string | undefined {
  const { total, reasons } = skippedCounts(badRecords);
  where = named(where);
  if (total <= read) return undefined;
  const share = (100 * total / (total + read)).toFixed(total + read >= 1000 ? 1 : 0);
  // Skipped for their width, most of them: the width the rows were held to is what to look at.
  const width = (badRecords.column_count ?? 0) * 2 > total
    ? ' Most were skipped for their number of columns: the rows are held to the width of the header, else of the commonest among ' +
      'the first 20 records of the first file, so a file that starts with other rows than the rest is read wrong: put a good row first' : '';
  return `${subject}: ${total} of the ${total + read} ${many} (${share}%) of ${where} were skipped as bad (${reasons}), ` +
    `and ${use} the ${read} left; is the data in the format given?${width}`;
}
