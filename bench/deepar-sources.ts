// The real series behind the DeepAR benchmark: where each set comes from, its licence, and how
// its raw values are read. bench/deepar-data.ts turns them into SageMaker's JSON Lines. Nothing
// is downloaded: the R packages are Debian's r-cran-* builds on this machine (read with Rscript
// once, cached as TSV under bench/data/deepar/raw/), and vega-datasets comes out of the local npm
// cache with `npm pack --prefer-offline`, as bench/fm-data.ts takes it.
//
//  - chicago-l: daily entries at 20 Chicago 'L' stations, 2001-01-08 … 2016-08-14 (5,698 days),
//    R package modeldata 1.1.0 (`Chicago`). The package keeps the 20 station columns as 14-day
//    lags of the date (for its Clark/Lake regression example), so each column is read back 14
//    days earlier: the column for Austin on row d is Austin's ridership on d − 14 (checked: the
//    Clark_Lake column on row d + 14 equals the `ridership` column, Clark/Lake's own, on row d).
//  - flights-hourly: departures in each hour at the 30 busiest US airports, January–June 2001
//    (4,344 hours), counted from vega-datasets 3.2.1's flights-3m.parquet (3,000,000 flights).
//  - colorado-tmax: monthly mean daily maximum temperature at Colorado weather stations,
//    1948–1997 (600 months), R package fields 14.1 (`COmonthlyMet`, CO.tmax): the stations with
//    at most 2% of those months missing; the missing months stay missing (null).
//  - unemployment: unemployed people in 14 US industries, monthly 2000-01 … 2010-02 (122 months),
//    vega-datasets 3.2.1's unemployment-across-industries.json (the README example).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { flights3m } from './fm-data.js';
import { dataDir } from './linear-learner-data.js';

/** One series as read: a UTC start and its values, null where missing. */
export interface RawSeries { name: string; start: Date; target: (number | null)[] }

export interface RawSet {
  name: string;
  source: string;
  licence: string;
  /** How the raw values became these series (what was selected, shifted or counted). */
  recipe: string;
  /** SageMaker's time_freq. */
  timeFreq: 'M' | 'D' | 'H';
  predictionLength: number;
  /** The seasonal period seasonal naive repeats (and ETS's seasonal term). */
  seasonality: number;
  series: RawSeries[];
}

const rawDir = join(dataDir, 'deepar', 'raw');
const vegaVersion = '3.2.1';
const day = 86_400_000;

/** Rscript once, writing a tab-separated file (header line first); its rows as string arrays. */
function rTable(file: string, script: string): string[][] {
  const path = join(rawDir, file);
  if (!existsSync(path)) {
    mkdirSync(rawDir, { recursive: true });
    execFileSync('Rscript', ['--vanilla', '-e', script.replace('OUT', JSON.stringify(path + '.tmp'))], { stdio: ['ignore', 'ignore', 'inherit'] });
    renameSync(path + '.tmp', path);  // only a finished table is cached
  }
  return readFileSync(path, 'utf8').trimEnd().split('\n').map((line) => line.split('\t'));
}

const nulls = (series: RawSeries[]) => series.reduce((n, s) => n + s.target.filter((v) => v === null).length, 0);
const value = (text: string) => (text === 'NA' || text === '' ? null : Number(text));
const rVersion = (pkg: string) => execFileSync('Rscript', ['--vanilla', '-e', `cat(as.character(packageVersion("${pkg}")))`], { encoding: 'utf8' }).trim();

/** vega-datasets' tarball from the npm cache into bench/data/ (where bench/fm-data.ts looks for it too). */
function vegaTarball(): string {
  const tgz = join(dataDir, `vega-datasets-${vegaVersion}.tgz`);
  if (!existsSync(tgz)) {
    mkdirSync(dataDir, { recursive: true });
    execFileSync('npm', ['pack', `vega-datasets@${vegaVersion}`, '--prefer-offline', '--pack-destination', dataDir], { stdio: 'ignore' });
  }
  return tgz;
}

// ------------------------------------------------------------------------------------------

export function chicagoL(): RawSet {
  const rows = rTable('chicago.tsv', 'data(Chicago, package = "modeldata"); ' +
    'write.table(data.frame(date = format(Chicago$date), Chicago[, stations]), OUT, sep = "\\t", quote = FALSE, row.names = FALSE)');
  const [header, ...body] = rows;
  const lag = 14;
  const start = new Date(Date.parse(`${body[0][0]}T00:00:00Z`) - lag * day);
  const series = header.slice(1).map((name, j) => ({ name: name.replace(/_/g, ' '), start, target: body.map((r) => value(r[j + 1])) }));
  return {
    name: 'chicago-l', timeFreq: 'D', predictionLength: 14, seasonality: 7, series,
    source: `R package modeldata ${rVersion('modeldata')} (Debian r-cran-modeldata), data set \`Chicago\`: daily entries (thousands) at Chicago Transit Authority 'L' stations, from Kuhn and Johnson, Feature Engineering and Selection (2019), drawn from the City of Chicago data portal ("CTA - Ridership - 'L' Station Entries - Daily totals")`,
    licence: 'modeldata: MIT; the ridership counts are published by the City of Chicago on its open data portal under the portal\'s terms of use',
    recipe: `the ${series.length} station columns (the package's sample of stations), each read 14 days earlier than its row's date (the package stores them as 14-day lags); ${body.length.toLocaleString('en-US')} consecutive days, ${nulls(series) ? `${nulls(series)} values missing (null)` : 'none missing'}; values in thousands of entries, as stored`,
  };
}

export function coloradoTmax(): RawSet {
  const first = 1948, last = 1997, maxMissing = 0.02;
  const rows = rTable('colorado-tmax.tsv', 'data(COmonthlyMet, package = "fields"); ' +
    `y <- CO.years >= ${first} & CO.years <= ${last}; ` +
    'v <- apply(CO.tmax[y, , , drop = FALSE], 3, function(m) as.vector(t(m))); ' +
    'colnames(v) <- paste0(CO.id, ":", trimws(CO.names)); ' +
    'write.table(v, OUT, sep = "\\t", quote = FALSE, row.names = FALSE, na = "NA")');
  const [header, ...body] = rows;
  const months = body.length;
  const all = header.map((name, j) => ({ name, start: new Date(Date.UTC(first, 0, 1)), target: body.map((r) => value(r[j])) }));
  const series = all.filter((s) => s.target.filter((v) => v === null).length <= maxMissing * months);
  const missing = nulls(series);
  return {
    name: 'colorado-tmax', timeFreq: 'M', predictionLength: 12, seasonality: 12, series,
    source: `R package fields ${rVersion('fields')} (Debian r-cran-fields), data set \`COmonthlyMet\` (CO.tmax): monthly mean of the daily maximum temperature (°C) at stations in and around Colorado, 1895–1997, "a subset extracted from the more extensive US data record" (the package's documentation; prepared by D. Nychka)`,
    licence: 'fields: GPL (≥ 2); the package does not state a licence for the data: US weather-station records (US government observations, generally public domain)',
    recipe: `the months ${first}-01 … ${last}-12 (${months}); of the ${all.length} stations, the ${series.length} with at most ${maxMissing * 100}% of those months missing; missing months stay null (${missing} of ${(series.length * months).toLocaleString('en-US')})`,
  };
}

export async function flightsHourly(): Promise<RawSet> {
  vegaTarball();
  const flights = await flights3m();
  const start = Date.UTC(2001, 0, 1), hours = 181 * 24, airports = 30;
  const perOrigin = new Map<string, number[]>();
  let outside = 0;
  for (const f of flights) {
    const hour = Math.floor((f.date.getTime() - start) / 3_600_000);
    if (hour < 0 || hour >= hours) { outside++; continue; }  // the few flights of July 1 at 00:00
    let counts = perOrigin.get(f.origin);
    if (!counts) perOrigin.set(f.origin, counts = new Array<number>(hours).fill(0));
    counts[hour]++;
  }
  const total = (c: number[]) => c.reduce((a, b) => a + b, 0);
  const busiest = [...perOrigin].sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : 1)).slice(0, airports);
  return {
    name: 'flights-hourly', timeFreq: 'H', predictionLength: 24, seasonality: 24,
    series: busiest.map(([origin, target]) => ({ name: origin, start: new Date(start), target })),
    source: `npm vega-datasets ${vegaVersion}, flights-3m.parquet: ${flights.length.toLocaleString('en-US')} US domestic flights of January–June 2001 from the US Bureau of Transportation Statistics' on-time performance records`,
    licence: 'vega-datasets: BSD-3-Clause (© the Vega project); the flight records are US government data, in the public domain',
    recipe: `departures counted by origin airport and by the hour of each record's \`date\` (its departure time, as the file gives it) over 2001-01-01 00:00 … 2001-06-30 23:00 (${hours.toLocaleString('en-US')} hours; the ${outside} flights dated 2001-07-01 00:00 dropped); the ${airports} airports with the most departures; no hour is missing (an hour without departures is 0)`,
  };
}

export function unemployment(): RawSet {
  const path = join(rawDir, 'unemployment-across-industries.json');
  if (!existsSync(path)) {
    mkdirSync(rawDir, { recursive: true });
    execFileSync('tar', ['xzf', vegaTarball(), '-C', rawDir, '--strip-components=2', 'package/data/unemployment-across-industries.json']);
  }
  const records = JSON.parse(readFileSync(path, 'utf8')) as { series: string; year: number; month: number; count: number }[];
  const bySeries = new Map<string, { year: number; month: number; count: number }[]>();
  for (const r of records) bySeries.set(r.series, [...(bySeries.get(r.series) ?? []), r]);
  const series = [...bySeries].map(([name, rs]) => {
    rs.sort((a, b) => a.year - b.year || a.month - b.month);
    const monthIndex = (r: { year: number; month: number }) => r.year * 12 + r.month - 1;
    const target: (number | null)[] = new Array<number | null>(monthIndex(rs[rs.length - 1]) - monthIndex(rs[0]) + 1).fill(null);
    for (const r of rs) target[monthIndex(r) - monthIndex(rs[0])] = r.count;
    return { name, start: new Date(Date.UTC(rs[0].year, rs[0].month - 1, 1)), target };
  });
  return {
    name: 'unemployment', timeFreq: 'M', predictionLength: 12, seasonality: 12, series,
    source: `npm vega-datasets ${vegaVersion}, unemployment-across-industries.json: unemployed people (thousands) in ${series.length} US industries, monthly, from the US Bureau of Labor Statistics' Current Population Survey`,
    licence: 'vega-datasets: BSD-3-Clause (© the Vega project); the counts are US government (BLS) data, in the public domain',
    recipe: `one series per industry (the file's \`series\` field): its \`count\` for each year and month, in month order (${records.length.toLocaleString('en-US')} records; ${nulls(series) ? `${nulls(series)} months absent, null` : 'no month is absent'})`,
  };
}
