// "No records" said so that a channel whose every record was skipped as bad (--on-bad-record
// skip over a file in the wrong format, say) does not read as an empty file.

/**
 * The message for a read that gave no records: `${subject}: no records in ${where}`, and when
 * records were skipped, how many and why (`badRecords`: reason → count, as BatchStream.stats has).
 */
export function noRecordsMessage(subject: string, where: string, badRecords: Record<string, number> = {}): string {
  const total = Object.values(badRecords).reduce((sum, n) => sum + n, 0);
  if (total === 0) return `${subject}: no records in ${where}`;
  const reasons = Object.entries(badRecords).filter(([, n]) => n > 0).map(([reason, n]) => `${reason} ${n}`).join(', ');
  const read = total === 1 ? 'the one record read was' : `all ${total} records read were`;
  return `${subject}: no records in ${where}: ${read} skipped as bad (${reasons}); is the data in the format given (format, delimiter, label column)?`;
}
