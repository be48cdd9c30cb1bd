import assert from 'node:assert/strict';
import { readSeries } from '../../lib/index.js';

async function all(text: string, options = {}) {
  const out = [];
  for await (const series of readSeries([Buffer.from(text)] as never, options)) out.push(series);
  return out;
}

describe("DeepAR's JSON Lines series", () => {
  it('skips a UTF-8 byte-order mark and reads gzip told by its magic bytes', async () => {
    const { gzipSync } = await import('node:zlib');
    const text = '{"start": "2024-03-02", "target": [7, 8]}\n';
    const marked = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    for (const input of [[marked], [gzipSync(marked)]]) {
      const out = [];
      for await (const series of readSeries(input as never)) out.push(series);
      assert.deepEqual(out.map((s) => Array.from(s.target)), [[7, 8]]);
    }
  });

  it('a line that is not UTF-8 is a bad record naming it (its bytes became U+FFFD in a key or value without a word)', async () => {
    const line = (start: Buffer) => Buffer.concat([Buffer.from('{"start": "'), start, Buffer.from('", "target": [1, 2, 3]}\n')]);
    const good = line(Buffer.from('2024-03-02 00:00:00'));
    const bad = line(Buffer.concat([Buffer.from('2024-03-02 00:00:00'), Buffer.from([0xff])]));
    await assert.rejects(async () => { for await (const _ of readSeries([Buffer.concat([good, bad])] as never)) { /* read */ } },
      /^DataError: iterable, line 2: invalid UTF-8 \(JSON Lines are UTF-8 text\)$/);
    const skipped = { count: 0, reasons: {} as Record<string, number> };
    const out = [];
    for await (const series of readSeries([Buffer.concat([good, bad, good])] as never, { onBadRecord: 'skip' }, skipped)) out.push(series);
    assert.equal(out.length, 2);
    assert.deepEqual(skipped, { count: 1, reasons: { bad_series: 1 } });
  });

  it('reads start, target with gaps, cat and dynamic_feat', async () => {
    const text = '{"start": "2024-03-01 06:00:00", "target": [1.5, null, "NaN", 4], "cat": [0, 2], "dynamic_feat": [[1, 0, 1, 0, 1]]}\n\n' +
      '{"start": "2024-03-02", "target": [7], "cat": 3}\n';
    const [first, second] = await all(text);
    assert.equal(first.start, '2024-03-01 06:00:00');
    assert.equal(first.startTime, Date.UTC(2024, 2, 1, 6));
    assert.deepEqual(Array.from(first.target), [1.5, NaN, NaN, 4]);
    assert.deepEqual(Array.from(first.cat), [0, 2]);
    assert.deepEqual(first.dynamicFeat.map((f) => Array.from(f)), [[1, 0, 1, 0, 1]]);
    assert.deepEqual(Array.from(second.cat), [3]);
    assert.equal(second.line, 3);
  });

  it('names the line and the reason for bad series', async () => {
    const cases: [string, RegExp, object?][] = [
      ['{"start": "2024-13-01", "target": [1]}', /iterable, line 1: "start" "2024-13-01" is not a valid date and time$/],
      ['{"start": "yesterday", "target": [1]}', /"start" "yesterday" is not "YYYY-MM-DD\[ HH:MM\[:SS\]\]"$/],
      ['{"start": "2024-01-01", "target": []}', /"target" must be a non-empty array$/],
      ['{"start": "2024-01-01", "target": [1, "x"]}', /"target"\[1\] is "x"; expected a number, null or "NaN"$/],
      ['{"start": "2024-01-01", "target": [1, 2], "dynamic_feat": [[1]]}', /"dynamic_feat"\[0\] has 1 values, fewer than the target's 2$/],
      ['{"start": "2024-01-01", "target": [1], "dynamic_feat": [[null]]}', /"dynamic_feat"\[0\]\[0\] is null; dynamic features cannot have gaps$/],
      ['{"start": "2024-01-01", "target": [1], "cat": [-1]}', /"cat" \[-1\] must hold non-negative integers$/],
      ['{"start": "2024-01-01", "target": [1]}', /has 0 "cat" values, expected 1$/, { numCat: 1 }],
      ['{"start": "2024-01-01", "target": [1]', /line 1: not valid JSON \([^)]*\)$/],
      ['{"start": "2024-01-01", "target": [1, NaN, 2]}', /line 1: not valid JSON \(.*\); a missing value is null or "NaN" in quotes, not a bare NaN \(Python's json.dumps writes float\('nan'\) so: write None\)$/],
    ];
    for (const [text, message, options] of cases) await assert.rejects(all(text, options), message);
  });

  it('skips bad series on request, counting them', async () => {
    const skipped = { count: 0 };
    const out = [];
    for await (const s of readSeries([Buffer.from('{"target": [1]}\n{"start": "2024-01-01", "target": [2]}\n')] as never, { onBadRecord: 'skip' }, skipped)) out.push(s);
    assert.equal(out.length, 1);
    assert.equal(skipped.count, 1);
  });
});
