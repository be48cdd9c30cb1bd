// Series as the native model reads them: targets end to end, each series' start as a period
// index of the frequency, its embedding rows, its dynamic features feature by feature.
import type { DeeparSeriesPack } from '../../backends/native-addon.js';
import type { SeriesRecord } from '../../data/series.js';
import { requirePeriodIndex } from './frequency.js';
import type { DeeparSettings } from './settings.js';

/** Where a record came from, for messages. */
export const whereOf = (record: SeriesRecord): string =>
  `${record.source}, line ${record.line}${record.instance !== undefined ? `, instance ${record.instance + 1}` : ''}`;  // instances from 1, as lines

/**
 * Packs series; `history` (when given) cuts each target to its first history(record) values
 * (evaluation forecasts the rest). Categories beyond what the table was trained on map to the
 * table's last row, kept for unseen categories, when `unseen` is 'map'; otherwise they are an error.
 */
export function packSeries(records: readonly SeriesRecord[], s: DeeparSettings, options: {
  history?: (record: SeriesRecord) => number;
  unseen: 'map' | 'error';
}): DeeparSeriesPack {
  const K = s.categories.length, D = s.native.dynamic;
  const lengths = new Uint32Array(records.length), dynamicLengths = new Uint32Array(records.length);
  const starts = new Float64Array(records.length), cats = new Int32Array(Math.max(1, records.length * K));
  let total = 0, dynamicTotal = 0;
  records.forEach((record, i) => {
    lengths[i] = options.history ? options.history(record) : record.target.length;
    dynamicLengths[i] = D > 0 ? record.dynamicFeat[0].length : 0;
    total += lengths[i];
    dynamicTotal += D * dynamicLengths[i];
    starts[i] = requirePeriodIndex(s.frequency, record.startTime, record.start, whereOf(record));
    for (let k = 0; k < K; k++) {
      const id = record.cat[k];
      if (id < s.categories[k]) cats[i * K + k] = id;
      else if (options.unseen === 'map') cats[i * K + k] = s.categories[k];
      else throw new RangeError(`${whereOf(record)}: "cat"[${k}] is ${id}, beyond the ${s.categories[k]} categories the model embeds ` +
        '(cardinality=auto takes them from the first batch of series; give cardinality=[…] to fix them)');
    }
  });
  const targets = new Float32Array(total), dynamic = new Float32Array(Math.max(1, dynamicTotal));
  let at = 0, dynamicAt = 0;
  records.forEach((record, i) => {
    targets.set(record.target.subarray(0, lengths[i]), at);
    at += lengths[i];
    for (let d = 0; d < D; d++) {
      dynamic.set(record.dynamicFeat[d].subarray(0, dynamicLengths[i]), dynamicAt);
      dynamicAt += dynamicLengths[i];
    }
  });
  return { count: records.length, targets, lengths, starts, cats, dynamic, dynamicLengths };
}
