// The forecast SVG: well-formed XML (checked by a small tokenizer: no XML parser is among the
// dependencies), calendar time ticks (4–8 over spans from seconds to centuries, labels known by
// hand for a few spans), round value ticks covering every value, the band's polygon of
// 2 × horizon points, gaps at NaN, escaped titles, and the degenerate inputs: flat, all-missing,
// a single point.
import assert from 'node:assert/strict';
import {
  escapeXml, forecastSvg, formatValue, parseTimestamp, timeTicks, valueTicks, type ForecastPlot,
} from '../../../lib/algorithms/deepar/forecast-plot.js';

/**
 * Throws unless svg is well-formed XML of one root element: tags balanced and nested, attribute
 * values quoted, no raw '<' and no '&' outside an entity in text or attributes. Returns the
 * root's name.
 */
function checkWellFormed(svg: string): string {
  const stack: string[] = [];
  let root = '';
  const checkText = (text: string, where: string) => {
    assert.ok(!/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text), `a bare & in ${where}: ${text}`);
    assert.ok(!text.includes('<'), `a raw < in ${where}`);
  };
  const tokens = svg.split(/(<[^>]*>)/);
  for (const token of tokens) {
    if (!token.startsWith('<')) { checkText(token, 'text'); continue; }
    const m = /^<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>$/.exec(token);
    assert.ok(m, `a malformed tag: ${token}`);
    const [, closing, name, attributes, selfClosing] = m;
    checkText(attributes, `the attributes of <${name}>`);
    if (closing) {
      assert.equal(stack.pop(), name, `</${name}> closes another element`);
    } else {
      if (stack.length === 0) { assert.equal(root, '', 'a second root element'); root = name; }
      if (!selfClosing) stack.push(name);
    }
    if (stack.length === 0) assert.ok(root !== '');
  }
  assert.deepEqual(stack, [], 'elements left open');
  return root;
}

/** The contents of the first <g class="name"> group, nested groups included. */
function group(svg: string, name: string): string {
  const start = svg.indexOf(`<g class="${name}"`);
  if (start < 0) return '';
  const open = svg.indexOf('>', start) + 1;
  let depth = 1;
  for (const m of svg.slice(open).matchAll(/<g[\s>]|<\/g>/g)) {
    depth += m[0] === '</g>' ? -1 : 1;
    if (depth === 0) return svg.slice(open, open + m.index);
  }
  throw new Error(`<g class="${name}"> is not closed`);
}

const numbers = (text: string) => text.split(/[\s,]+/).filter(Boolean).map(Number);

/** Hourly timestamps from 2024-01-01 00:00 on. */
function hourly(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => new Date(Date.UTC(2024, 0, 1, from + i)).toISOString().slice(0, 19).replace('T', ' '));
}

/** A plot of hourly history (24 points) and a 6-step horizon, the given values filled in. */
function hourlyPlot(overrides: Partial<ForecastPlot> = {}): ForecastPlot {
  const history = Float32Array.from({ length: 24 }, (_, i) => 10 + i);
  const median = Float32Array.from([30, 31, 32, 33, 34, 35]);
  return {
    title: 'series 1', historyTimes: hourly(0, 24), history, forecastTimes: hourly(24, 6),
    median, lower: median.map((m) => m - 3), upper: median.map((m) => m + 3), ...overrides,
  };
}

describe('deepar forecast plot', () => {
  it('renders well-formed SVG with a title, legend, both axes and every series', () => {
    const svg = forecastSvg(hourlyPlot({ truth: Float32Array.from([29, 32, 31, 35, 33, 36]) }));
    assert.equal(checkWellFormed(svg), 'svg');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="800" height="400" viewBox="0 0 800 400"/);
    assert.deepEqual([...group(svg, 'legend').matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]), ['history', 'median', '80% interval', 'actual']);
    for (const name of ['history', 'median', 'truth', 'band']) assert.notEqual(group(svg, name).trim(), '', name);
    assert.doesNotMatch(svg, /href|<style|@import|url\(/, 'nothing external');
    const narrow = forecastSvg(hourlyPlot(), { width: 300, height: 200 });
    assert.equal(checkWellFormed(narrow), 'svg');
    assert.match(narrow, /width="300" height="200" viewBox="0 0 300 200"/);
    assert.doesNotMatch(group(narrow, 'legend'), /actual/, 'no "actual" without truth');
  });

  it('escapes <, & and > (and quotes) in the title, and drops characters XML forbids', () => {
    const svg = forecastSvg(hourlyPlot({ title: 'a<b> & "c" \'d\'\u0001' }));
    checkWellFormed(svg);
    assert.ok(svg.includes('<title>a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</title>'));
    assert.equal(escapeXml('x&y<z>'), 'x&amp;y&lt;z&gt;');
  });

  it('the band is one polygon of 2 × horizon points: upper forward, then lower back', () => {
    const svg = forecastSvg(hourlyPlot());
    const polygons = [...group(svg, 'band').matchAll(/points="([^"]*)"/g)].map((m) => numbers(m[1]));
    assert.equal(polygons.length, 1);
    assert.equal(polygons[0].length / 2, 2 * 6);
    const xs = polygons[0].filter((_, i) => i % 2 === 0);
    assert.deepEqual(xs.slice(6), xs.slice(0, 6).reverse());
  });

  it('hourly timestamps over 30 hours: ticks every 6 hours from midnight, the date under the first and at its change', () => {
    const svg = forecastSvg(hourlyPlot());
    const texts = [...group(svg, 'x-axis').matchAll(/<text x="([^"]*)" y="([^"]*)"[^>]*>([^<]*)<\/text>/g)];
    const labels = texts.filter((m) => m[2] === String(400 - 48 + 18)).map((m) => m[3]);
    const contexts = texts.filter((m) => m[2] === String(400 - 48 + 32)).map((m) => m[3]);
    assert.deepEqual(labels, ['00:00', '06:00', '12:00', '18:00', '00:00']);
    assert.deepEqual(contexts, ['2024-01-01', '2024-01-02']);
    // Within the plot: 00:00 on Jan 1 is its left edge (x = 64), 00:00 on Jan 2 is 24 of 29 hours across 800 − 64 − 24 px.
    const xs = texts.filter((m) => m[2] === String(400 - 48 + 18)).map((m) => Number(m[1]));
    assert.equal(xs[0], 64);
    assert.equal(xs[4], Math.round((64 + 24 / 29 * 712) * 100) / 100);
  });

  it('time ticks with labels by hand for spans of days, months and decades', () => {
    const ticks = (a: string, b: string) => timeTicks(parseTimestamp(a), parseTimestamp(b)).map((t) => `${t.label}/${t.context}`);
    assert.deepEqual(ticks('2023-12-30', '2024-01-03'), ['Dec 30/2023', 'Dec 31/2023', 'Jan 1/2024', 'Jan 2/2024', 'Jan 3/2024']);
    // Weeks start on Mondays (2024-01-01 was one).
    assert.deepEqual(ticks('2023-12-30', '2024-01-29 12:00:00'), ['Jan 1/2024', 'Jan 8/2024', 'Jan 15/2024', 'Jan 22/2024', 'Jan 29/2024']);
    assert.deepEqual(ticks('2023-03-01', '2024-02-01'), ['Mar/2023', 'May/2023', 'Jul/2023', 'Sep/2023', 'Nov/2023', 'Jan/2024']);
    assert.deepEqual(ticks('2000-03-01', '2024-02-01'), ['2005/', '2010/', '2015/', '2020/']);
    assert.deepEqual(ticks('2024-05-17 13:07:00', '2024-05-17 13:37:00'), ['13:10/2024-05-17', '13:15/2024-05-17', '13:20/2024-05-17', '13:25/2024-05-17', '13:30/2024-05-17', '13:35/2024-05-17']);
  });

  it('4 to 8 time ticks, all within the span, over spans from 5 seconds to 300 years', () => {
    for (const start of [Date.UTC(2023, 4, 17, 13, 7, 0), Date.UTC(1999, 11, 31, 23, 59, 59)]) {
      for (let e = Math.log(5e3); e < Math.log(300 * 365 * 86400e3); e += 0.02) {
        const end = start + Math.exp(e);
        const ticks = timeTicks(start, end);
        assert.ok(ticks.length >= 4 && ticks.length <= 8, `${ticks.length} ticks over ${(end - start) / 1000} s`);
        assert.ok(ticks.every((t) => t.time >= start && t.time <= end));
      }
    }
  });

  it('value ticks: round numbers covering negative values; every point drawn inside the plot', () => {
    const history = Float32Array.from({ length: 24 }, (_, i) => (i === 5 ? -37 : 10));
    const median = Float32Array.from([30, 31, 32, 33, 34, 35]);
    const svg = forecastSvg(hourlyPlot({ history, median, upper: median.map((m, i) => (i === 2 ? 212 : m + 3)) }));
    // Span 249 → step 50 (249 / 5 = 49.8 rounded up to a nice number): −50 to 250.
    const labels = [...group(svg, 'y-axis').matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    assert.deepEqual(labels, ['-50', '0', '50', '100', '150', '200', '250']);
    for (const name of ['history', 'median', 'band']) {
      const coordinates = [...group(svg, name).matchAll(/(?:d|points)="([^"]*)"/g)].flatMap((m) => numbers(m[1].replace(/[ML]/g, ' ')));
      const ys = coordinates.filter((_, i) => i % 2 === 1);
      assert.ok(ys.length > 0 && ys.every((v) => v >= 58 && v <= 352), `${name}: ${ys}`);
    }
    assert.deepEqual(valueTicks(-37, 212), { low: -50, high: 250, step: 50, ticks: [-50, 0, 50, 100, 150, 200, 250] });
  });

  it('a flat range is padded: 10% either side of a constant, ±1 around 0', () => {
    const fives = valueTicks(5, 5);
    assert.equal(fives.step, 0.2);
    assert.deepEqual(fives.ticks.map((v) => formatValue(v, fives.step, 5.6)), ['4.4', '4.6', '4.8', '5.0', '5.2', '5.4', '5.6']);
    const zeros = valueTicks(0, 0);
    assert.deepEqual(zeros.ticks.map((v) => formatValue(v, zeros.step, 1)), ['-1.0', '-0.5', '0.0', '0.5', '1.0']);
    const flat = new Float32Array(6).fill(5);
    const svg = forecastSvg(hourlyPlot({ history: new Float32Array(24).fill(5), median: flat, lower: flat, upper: flat }));
    checkWellFormed(svg);
    assert.match(group(svg, 'y-axis'), />4\.4<[\s\S]*>5\.6</);
  });

  it('tick values: only the decimals the step needs, k / M / G for large numbers, no -0', () => {
    assert.equal(formatValue(0.30000000000000004, 0.1, 1), '0.3');
    assert.equal(formatValue(1.25, 0.25, 2), '1.25');
    assert.equal(formatValue(-1e-17, 0.5, 2), '0.0');
    assert.equal(formatValue(0, 2e5, 4e5), '0');
    assert.equal(formatValue(12500, 2500, 20000), '12.5k');
    assert.equal(formatValue(40000, 10000, 40000), '40k');
    assert.equal(formatValue(3e6, 1e6, 5e6), '3M');
    assert.equal(formatValue(250000, 50000, 300000), '250k');
    assert.equal(formatValue(2.5e7, 5e6, 3e7), '25M');
    assert.equal(formatValue(2e10, 1e10, 4e10), '20G');
  });

  it('NaN leaves a gap: the history path has two segments; a lone point is a dot', () => {
    const history = Float32Array.from({ length: 24 }, (_, i) => (i >= 10 && i < 13 ? NaN : i));
    const gapped = group(forecastSvg(hourlyPlot({ history })), 'history');
    assert.equal((gapped.match(/M/g) ?? []).length, 2);
    assert.equal((gapped.match(/L/g) ?? []).length, 9 + 10, 'points 0–9 and 13–23 joined');
    assert.doesNotMatch(gapped, /<circle/);
    history[1] = NaN;  // point 0 is left alone
    const lone = group(forecastSvg(hourlyPlot({ history })), 'history');
    assert.equal((lone.match(/M/g) ?? []).length, 2);
    assert.equal((lone.match(/<circle/g) ?? []).length, 1);
  });

  it('a NaN in the band splits it into two polygons of 2 × their steps', () => {
    const plot = hourlyPlot();
    plot.upper[2] = NaN;
    const polygons = [...group(forecastSvg(plot), 'band').matchAll(/points="([^"]*)"/g)].map((m) => numbers(m[1]).length / 2);
    assert.deepEqual(polygons, [4, 6]);
  });

  it('all-missing history, and a single history point before a single forecast step', () => {
    const missing = forecastSvg(hourlyPlot({ history: new Float32Array(24).fill(NaN) }));
    checkWellFormed(missing);
    assert.equal(group(missing, 'history').trim(), '');
    // The value range is the forecast's, 27 to 38: 11 / 5 = 2.2, rounded up to the nice 2.5.
    assert.deepEqual([...group(missing, 'y-axis').matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]), ['25.0', '27.5', '30.0', '32.5', '35.0', '37.5', '40.0']);

    const one = Float32Array.from([7]);
    const single = forecastSvg({
      title: 'one', historyTimes: ['2024-03-01 00:00:00'], history: Float32Array.from([4]),
      forecastTimes: ['2024-03-01 01:00:00'], median: one, lower: Float32Array.from([6]), upper: Float32Array.from([9]),
    });
    checkWellFormed(single);
    assert.match(group(single, 'history'), /^\s*<circle cx="64" /);
    assert.match(group(single, 'median'), /^\s*<circle cx="776" /);
    assert.equal(numbers(/points="([^"]*)"/.exec(group(single, 'band'))![1]).length / 2, 2);
    const ticks = group(single, 'x-axis').match(/<line/g) ?? [];
    assert.ok(ticks.length >= 4 && ticks.length <= 8, `${ticks.length} ticks over one hour`);
  });

  it('one instant (no history, one step) is shown with an hour either side', () => {
    const svg = forecastSvg({
      title: 'now', historyTimes: [], history: new Float32Array(0), forecastTimes: ['2024-03-01'],
      median: Float32Array.from([1]), lower: Float32Array.from([0]), upper: Float32Array.from([2]),
    });
    checkWellFormed(svg);
    assert.match(group(svg, 'median'), /<circle cx="420" /, 'the middle of 64 to 776');
  });

  it('RangeError for mismatched lengths, an empty horizon, an unreadable timestamp, a tiny size', () => {
    assert.throws(() => forecastSvg(hourlyPlot({ history: new Float32Array(23) })), /23 history values for 24 history timestamps/);
    assert.throws(() => forecastSvg(hourlyPlot({ lower: new Float32Array(5) })), /5 lower values for 6 forecast timestamps/);
    assert.throws(() => forecastSvg(hourlyPlot({ truth: new Float32Array(7) })), /7 truth values for 6 forecast timestamps/);
    assert.throws(() => forecastSvg(hourlyPlot({ forecastTimes: [], median: new Float32Array(0) })), /the forecast has no steps/);
    assert.throws(() => forecastSvg(hourlyPlot({ historyTimes: ['01/02/2024', ...hourly(1, 23)] })), /cannot read the timestamp '01\/02\/2024'/);
    assert.throws(() => forecastSvg(hourlyPlot(), { width: 100 }), /the size 100 × 400 is under 240 × 160/);
    assert.equal(parseTimestamp('2024-02-29 23:59:58'), Date.UTC(2024, 1, 29, 23, 59, 58));
    assert.equal(parseTimestamp('2024-02-29'), Date.UTC(2024, 1, 29));
    for (const bad of ['2023-02-29', '2024-13-01', '2024-01-01 24:00:00', '2024-01-01 10:60', '']) {
      assert.throws(() => parseTimestamp(bad), new RegExp(`cannot read the timestamp '${bad}'`), bad);
    }
  });
});
