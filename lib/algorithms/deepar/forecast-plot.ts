// One forecast as a self-contained SVG (no external CSS, fonts or scripts, so that the files
// `boundless predict … --plot DIR` writes open anywhere): the recent history, the median and
// the 80% band over the horizon, the actual values when known, on a time axis whose ticks fall
// on calendar boundaries (years, months, days, hours, minutes) chosen for the span shown.

export interface ForecastPlot {
  /** Shown above the plot, e.g. the series' line number or id; XML-escaped here. */
  title: string;
  /** Timestamps 'YYYY-MM-DD HH:MM:SS' (or 'YYYY-MM-DD'), read as UTC, of the history points shown. */
  historyTimes: string[];
  /** [historyTimes.length] values; NaN = missing, a gap in the line. */
  history: Float32Array;
  /** The horizon's timestamps, as historyTimes. */
  forecastTimes: string[];
  /** [forecastTimes.length] the 0.5, 0.1 and 0.9 quantiles; NaN = a gap. */
  median: Float32Array;
  lower: Float32Array;
  upper: Float32Array;
  /** [forecastTimes.length] the actual values over the horizon (evaluation plots); NaN = missing. */
  truth?: Float32Array;
}

export interface ForecastSvgOptions {
  /** Pixels; 800 × 400 unless given, at least 240 × 160. */
  width?: number;
  height?: number;
}

const colors = { history: '#1f4e79', median: '#d95f02', band: '#d95f02', truth: '#2a9d3a', grid: '#e3e3e3', axis: '#444', start: '#888' };
const margin = { left: 64, right: 24, top: 58, bottom: 48 };
const fontSize = 11;

// ---- time axis --------------------------------------------------------------------------

const second = 1000, minute = 60 * second, hour = 60 * minute, day = 24 * hour;
const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Milliseconds since the epoch of 'YYYY-MM-DD[ HH:MM[:SS]]' (UTC); RangeError naming a timestamp it cannot read. */
export function parseTimestamp(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  const fields = m ? m.slice(1).map((f) => +(f ?? 0)) : [];
  const t = m ? Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]) : NaN;
  // Date.UTC rolls 2024-02-30 over to March 1st: written back, a real date gives its own fields.
  const back = new Date(t);
  const real = [back.getUTCFullYear(), back.getUTCMonth() + 1, back.getUTCDate(), back.getUTCHours(), back.getUTCMinutes(), back.getUTCSeconds()];
  if (!Number.isFinite(t) || real.some((v, i) => v !== fields[i])) throw new RangeError(`forecast plot: cannot read the timestamp '${text}' (expected 'YYYY-MM-DD HH:MM:SS')`);
  return t;
}

/** A tick: its time, its label, and the coarser context (the year, the date) shown under the first tick and where it changes. */
interface TimeTick { time: number; label: string; context: string }

const pad2 = (n: number) => String(n).padStart(2, '0');
const isoDate = (d: Date) => `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
const clock = (d: Date, seconds: boolean) => `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}${seconds ? `:${pad2(d.getUTCSeconds())}` : ''}`;

/** A tick spacing: its unit, its length in units, and the label of a tick. */
interface TimeStep { unit: 'ms' | 'week' | 'month' | 'year'; size: number; label(d: Date): [string, string] }

function fixedStep(size: number): TimeStep {
  const label = (d: Date): [string, string] => size >= day
    ? [`${monthNames[d.getUTCMonth()]} ${d.getUTCDate()}`, String(d.getUTCFullYear())]
    : [clock(d, size < minute), isoDate(d)];
  return { unit: 'ms', size, label };
}

// Each length at most 2.5 times the one before, so that some spacing gives 4–8 ticks over any
// span from seconds to centuries (the tests sweep it).
const timeSteps: TimeStep[] = [
  ...[1, 2, 3, 5, 10, 15, 20, 30].map((s) => fixedStep(s * second)),
  ...[1, 2, 3, 5, 10, 15, 20, 30].map((s) => fixedStep(s * minute)),
  ...[1, 2, 3, 6, 12].map((s) => fixedStep(s * hour)),
  ...[1, 2, 3].map((s) => fixedStep(s * day)),
  ...[1, 2].map((size): TimeStep => ({ unit: 'week', size, label: fixedStep(day).label })),
  ...[1, 2, 3, 6].map((size): TimeStep => ({ unit: 'month', size, label: (d) => [monthNames[d.getUTCMonth()], String(d.getUTCFullYear())] })),
  ...[1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].map((size): TimeStep => ({ unit: 'year', size, label: (d) => [String(d.getUTCFullYear()), ''] })),
];

/** The times of step's ticks in [start, end]: multiples of fixed lengths from the epoch (midnight-aligned), Mondays, months and years on calendar multiples. */
function tickTimes(step: TimeStep, start: number, end: number): number[] {
  const times: number[] = [];
  if (step.unit === 'ms' || step.unit === 'week') {
    // 1970-01-05 was a Monday: weeks are counted from it.
    const length = step.unit === 'ms' ? step.size : step.size * 7 * day, origin = step.unit === 'ms' ? 0 : 4 * day;
    for (let t = Math.ceil((start - origin) / length) * length + origin; t <= end; t += length) times.push(t);
    return times;
  }
  const first = new Date(start);
  if (step.unit === 'month') {
    for (let m = Math.floor((first.getUTCFullYear() * 12 + first.getUTCMonth()) / step.size) * step.size; ; m += step.size) {
      const t = Date.UTC(Math.floor(m / 12), m % 12, 1);
      if (t > end) return times;
      if (t >= start) times.push(t);
    }
  }
  for (let y = Math.floor(first.getUTCFullYear() / step.size) * step.size; ; y += step.size) {
    const t = Date.UTC(y, 0, 1);
    if (t > end) return times;
    if (t >= start) times.push(t);
  }
}

/** Roughly how many ticks step makes over span ms (months as 30 days, years as 365). */
function roughCount(step: TimeStep, span: number): number {
  const unit = { ms: 1, week: 7 * day, month: 30 * day, year: 365 * day }[step.unit];
  return span / (step.size * unit);
}

/**
 * Ticks over [start, end] ms: of the spacings giving 4–8 ticks, the one closest to 6 (the
 * coarser on a tie); failing that (a span under a few seconds or over millennia), the count
 * closest to that range.
 */
export function timeTicks(start: number, end: number): TimeTick[] {
  const score = (n: number) => (n >= 4 && n <= 8 ? 0 : 10) + Math.abs(n - 6);
  let best: TimeStep | undefined, bestTimes: number[] = [];
  for (const step of timeSteps) {
    if (roughCount(step, end - start) > 40) continue;  // far too fine: do not list its ticks
    const times = tickTimes(step, start, end);
    if (!best || score(times.length) <= score(bestTimes.length)) { best = step; bestTimes = times; }
  }
  const label = (best ?? timeSteps[timeSteps.length - 1]).label;
  return bestTimes.map((time) => {
    const [text, context] = label(new Date(time));
    return { time, label: text, context };
  });
}

// ---- value axis -------------------------------------------------------------------------

/** A round tick spacing (1, 2, 2.5 or 5 × 10^k) giving about `count` intervals over span. */
function niceStep(span: number, count: number): number {
  const raw = span / count, power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return power * (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10);
}

/** The value range shown and its ticks: round multiples of a nice step covering [min, max]; a flat range is padded. */
export function valueTicks(min: number, max: number): { low: number; high: number; ticks: number[]; step: number } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) { min = 0; max = 1; }  // nothing finite to show
  if (max === min) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    min -= pad; max += pad;
  }
  const step = niceStep(max - min, 5);
  const low = Math.floor(min / step) * step, high = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  // Ticks by index, not by repeated addition, so that they stay exact multiples of the step.
  for (let i = 0; low + i * step <= high + step * 1e-9; i++) ticks.push(low + i * step);
  return { low, high, ticks, step };
}

/** A tick value with just the decimals its step needs, thousands as k, millions as M, billions as G. */
export function formatValue(value: number, step: number, largest: number): string {
  const [unit, suffix] = largest >= 1e9 ? [1e9, 'G'] : largest >= 1e6 ? [1e6, 'M'] : largest >= 1e4 ? [1e3, 'k'] : [1, ''];
  const scaled = step / unit;
  let decimals = 0;
  while (decimals < 12 && Math.abs(Math.round(scaled * 10 ** decimals) - scaled * 10 ** decimals) > 1e-6 * 10 ** decimals * scaled) decimals++;
  const text = (value / unit).toFixed(decimals);
  if (/^-?0(\.0*)?$/.test(text)) return suffix ? '0' : text.replace('-', '');  // "0", not "0k" or "-0"
  return text + suffix;
}

// ---- drawing ----------------------------------------------------------------------------

/** Text for XML content or attributes: & < > " ' escaped, characters XML 1.0 forbids dropped. */
export function escapeXml(text: string): string {
  const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/[&<>"']/g, (c) => entities[c]);
}

/** A coordinate with 2 decimals, no trailing zeros, no "-0". */
const px = (v: number) => String(Math.round(v * 100) / 100 + 0);

type Point = [number, number];

/** The runs of consecutive indices in [0, length) where ok holds: a failing index breaks a run. */
function indexRuns(length: number, ok: (i: number) => boolean): number[][] {
  const out: number[][] = [];
  let run: number[] = [];
  for (let i = 0; i < length; i++) {
    if (ok(i)) { run.push(i); continue; }
    if (run.length) out.push(run);
    run = [];
  }
  if (run.length) out.push(run);
  return out;
}

/** The runs of finite values as points: NaN breaks a line. */
function runs(times: number[], values: Float32Array, point: (t: number, v: number) => Point): Point[][] {
  return indexRuns(times.length, (i) => Number.isFinite(values[i])).map((run) => run.map((i) => point(times[i], values[i])));
}

/** A line through the runs (one path, an M per run), with a dot for each run of one point, which a line cannot show. */
function series(points: Point[][], color: string, width: number, dash = ''): string {
  const lines = points.filter((r) => r.length > 1);
  const dots = points.filter((r) => r.length === 1).map(([[x, y]]) => `<circle cx="${px(x)}" cy="${px(y)}" r="${width + 1}" fill="${color}"/>`);
  const d = lines.map((r) => r.map(([x, y], i) => `${i ? 'L' : 'M'}${px(x)} ${px(y)}`).join(' ')).join(' ');
  const path = d ? [`<path d="${d}" fill="none" stroke="${color}" stroke-width="${width}" stroke-linejoin="round"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`] : [];
  return [...path, ...dots].join('\n');
}

/** The band between lower and upper: one polygon per run where both are finite, upper forward then lower back (2 points per step). */
function band(times: number[], lower: Float32Array, upper: Float32Array, point: (t: number, v: number) => Point): string {
  const finite = (i: number) => Number.isFinite(lower[i]) && Number.isFinite(upper[i]);
  return indexRuns(times.length, finite).map((run) => {
    const top = run.map((i) => point(times[i], upper[i]));
    const bottom = run.map((i) => point(times[i], lower[i])).reverse();
    const points = [...top, ...bottom].map(([x, y]) => `${px(x)},${px(y)}`).join(' ');
    return `<polygon points="${points}" fill="${colors.band}" fill-opacity="0.22" stroke="none"/>`;
  }).join('\n');
}

function legend(withTruth: boolean, left: number, y: number): string {
  const items: [string, string][] = [
    ['history', `<line x1="0" y1="0" x2="18" y2="0" stroke="${colors.history}" stroke-width="2"/>`],
    ['median', `<line x1="0" y1="0" x2="18" y2="0" stroke="${colors.median}" stroke-width="2"/>`],
    ['80% interval', `<rect x="0" y="-5" width="18" height="10" fill="${colors.band}" fill-opacity="0.22"/>`],
    ...(withTruth ? [['actual', `<line x1="0" y1="0" x2="18" y2="0" stroke="${colors.truth}" stroke-width="2" stroke-dasharray="5 3"/>`] as [string, string]] : []),
  ];
  let x = left;
  const parts = items.map(([name, swatch]) => {
    const part = `<g transform="translate(${px(x)},${y})">${swatch}<text x="24" y="4">${name}</text></g>`;
    x += 24 + name.length * fontSize * 0.6 + 18;  // an estimate of the text's width: no font metrics in an SVG string
    return part;
  });
  return `<g class="legend" font-size="${fontSize}" fill="${colors.axis}">\n${parts.join('\n')}\n</g>`;
}

function checkLengths(plot: ForecastPlot): void {
  const horizon = plot.forecastTimes.length;
  if (horizon === 0) throw new RangeError('forecast plot: the forecast has no steps');
  if (plot.history.length !== plot.historyTimes.length) {
    throw new RangeError(`forecast plot: ${plot.history.length} history values for ${plot.historyTimes.length} history timestamps`);
  }
  const named: [string, Float32Array | undefined][] = [['median', plot.median], ['lower', plot.lower], ['upper', plot.upper], ['truth', plot.truth]];
  for (const [name, values] of named) {
    if (values && values.length !== horizon) throw new RangeError(`forecast plot: ${values.length} ${name} values for ${horizon} forecast timestamps`);
  }
}

function finiteRange(arrays: (Float32Array | undefined)[]): [number, number] {
  let min = Infinity, max = -Infinity;
  for (const values of arrays) for (const v of values ?? []) if (Number.isFinite(v)) { min = Math.min(min, v); max = Math.max(max, v); }
  return [min, max];
}

/**
 * The SVG text (UTF-8, no XML declaration, so that it can also be inlined in HTML) of one
 * forecast: a time axis of 4–8 calendar-aligned ticks (labelled by year, month, day or time of
 * day as the span asks, with the year or date under the first tick and where it changes), value
 * ticks at round numbers covering every value shown, the history line, the 80% band (a polygon
 * of 2 × horizon points), the median line, the actual values dashed when given, a dashed
 * vertical line at the first forecast timestamp, a legend and the title. NaN values leave gaps;
 * a point with no neighbour is drawn as a dot. RangeError for lengths that do not match, an
 * empty horizon, an unreadable timestamp, or a size under 240 × 160.
 */
export function forecastSvg(plot: ForecastPlot, options: ForecastSvgOptions = {}): string {
  const width = options.width ?? 800, height = options.height ?? 400;
  if (!(width >= 240 && height >= 160)) throw new RangeError(`forecast plot: the size ${width} × ${height} is under 240 × 160`);
  checkLengths(plot);
  const historyX = plot.historyTimes.map(parseTimestamp), forecastX = plot.forecastTimes.map(parseTimestamp);
  let start = Math.min(...historyX, ...forecastX), end = Math.max(...historyX, ...forecastX);
  if (end === start) { start -= hour; end += hour; }  // one instant: show the hour either side
  const [min, max] = finiteRange([plot.history, plot.median, plot.lower, plot.upper, plot.truth]);
  const values = valueTicks(min, max);

  const left = margin.left, right = width - margin.right, top = margin.top, bottom = height - margin.bottom;
  const x = (t: number) => left + (t - start) / (end - start) * (right - left);
  const y = (v: number) => bottom - (v - values.low) / (values.high - values.low) * (bottom - top);
  const point = (t: number, v: number): Point => [x(t), y(v)];

  const largest = Math.max(Math.abs(values.low), Math.abs(values.high));
  const yAxis = values.ticks.map((v) => [
    `<line x1="${left}" y1="${px(y(v))}" x2="${right}" y2="${px(y(v))}" stroke="${colors.grid}"/>`,
    `<text x="${left - 6}" y="${px(y(v) + 4)}" text-anchor="end">${formatValue(v, values.step, largest)}</text>`,
  ].join(''));
  let context = '';
  const xAxis = timeTicks(start, end).map((tick) => {
    const showContext = tick.context !== context;
    context = tick.context;
    return [
      `<line x1="${px(x(tick.time))}" y1="${bottom}" x2="${px(x(tick.time))}" y2="${bottom + 5}" stroke="${colors.axis}"/>`,
      `<text x="${px(x(tick.time))}" y="${bottom + 18}" text-anchor="middle">${tick.label}</text>`,
      showContext && tick.context ? `<text x="${px(x(tick.time))}" y="${bottom + 32}" text-anchor="middle">${tick.context}</text>` : '',
    ].join('');
  });
  const forecastStart = px(x(forecastX[0]));
  const title = escapeXml(plot.title);

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<title>${title}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="14" font-weight="bold" fill="#222">${title}</text>`,
    legend(plot.truth !== undefined, left, 42),
    `<g class="y-axis" font-size="${fontSize}" fill="${colors.axis}">\n${yAxis.join('\n')}\n</g>`,
    `<g class="x-axis" font-size="${fontSize}" fill="${colors.axis}">\n${xAxis.join('\n')}\n</g>`,
    `<line x1="${forecastStart}" y1="${top}" x2="${forecastStart}" y2="${bottom}" stroke="${colors.start}" stroke-dasharray="4 3"/>`,
    `<g class="band">\n${band(forecastX, plot.lower, plot.upper, point)}\n</g>`,
    `<g class="history">\n${series(runs(historyX, plot.history, point), colors.history, 1.5)}\n</g>`,
    `<g class="median">\n${series(runs(forecastX, plot.median, point), colors.median, 2)}\n</g>`,
    // The actual values over the median: dashed, both stay visible where they meet.
    plot.truth ? `<g class="truth">\n${series(runs(forecastX, plot.truth, point), colors.truth, 1.5, '5 3')}\n</g>` : '',
    `<path d="M${left} ${top} V${bottom} H${right}" fill="none" stroke="${colors.axis}"/>`,
    '</svg>',
    '',
  ].filter((line) => line !== '').join('\n') + '\n';
}
