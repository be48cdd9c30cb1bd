// The README of the forecasting example that ships with the package
// (examples/data/unemployment/: the benchmark's smallest set, its single split, which
// bench/deepar-data.ts writes next to it). It says where the numbers come from and how to run it.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawSet } from './deepar-sources.js';

const here = fileURLToPath(new URL('.', import.meta.url));
export const exampleName = 'unemployment';
export const exampleDir = join(here, '..', 'examples', 'data', exampleName);

export function exampleReadme(raw: RawSet): string {
  const name = exampleName;
  const P = raw.predictionLength;
  const n = raw.series[0].target.length;
  const first = raw.series[0].start;
  const missing = raw.series.reduce((k, s) => k + s.target.filter((v) => v === null).length, 0);
  const month = (i: number) => new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + i, 1)).toISOString().slice(0, 7);
  const sameLength = raw.series.every((s) => s.target.length === n && s.start.getTime() === raw.series[0].start.getTime());
  if (!sameLength) throw new Error('the example README assumes every series has the same months');
  const observed = (s: RawSet['series'][number]) => s.target.filter((v): v is number => v !== null);
  const rows = raw.series.map((s, i) => `| ${i} | ${s.name} | ${Math.min(...observed(s))}–${Math.max(...observed(s))} |`);
  return `# Unemployed people by industry, US, ${month(0)} … ${month(n - 1)} (time series, for DeepAR)

${raw.series.length} related monthly series — the number of unemployed people (thousands) who last
worked in each of ${raw.series.length} industries — ${n} months each, as SageMaker DeepAR JSON Lines: one series a
line, \`{"start": "YYYY-MM-DD HH:MM:SS", "target": [...], "cat": [i]}\` (\`cat\` is the series'
index below; ${missing ? `${missing} values are missing, written null` : 'no value is missing'}).

| file | what | months a series |
|---|---|---:|
| \`train.json\` | each series without its last ${P} months (to ${month(n - 1 - P)}) | ${n - P} |
| \`test.json\` | each whole series (to ${month(n - 1)}): forecasts are scored on its last ${P} months | ${n} |

Frequency \`M\` (time_freq=M), prediction_length ${P}, context_length ${2 * P}; the seasonal period is ${raw.seasonality} months.
This is SageMaker's recommended evaluation split (the test file holds the whole series, the
training file the same series minus the forecast horizon).

| cat | series | range (thousands) |
|---:|---|---|
${rows.join('\n')}

Try it:

\`\`\`
npx boundless train deepar --train examples/data/${name}/train.json \\
  --hp time_freq=M --hp prediction_length=${P} --hp context_length=${2 * P} --hp epochs=20 --seed 1 --model-dir /tmp/deepar-${name}
npx boundless evaluate --model /tmp/deepar-${name}/model.safetensors --test examples/data/${name}/test.json --seed 1
\`\`\`

\`evaluate\` prints RMSE, ND and the weighted quantile losses (wQuantileLoss[0.1] … [0.9] and
their mean) over the last ${P} months of every series, as SageMaker's DeepAR reports them.
Baselines on this split (seasonal naive and ETS) are in \`bench/results/deepar-peers.md\` in
the repository.

## Recipe

Made by \`bench/deepar-data.ts\` in the repository (\`npx tsx bench/deepar-data.ts\`), which
also makes the benchmark's larger sets: ${raw.recipe}. Months run from each series' first
record; the start is the first of the month at 00:00:00.

## Source and licence

${raw.source}. Licence: ${raw.licence}.
`;
}
