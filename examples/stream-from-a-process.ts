// Streams training rows from an ephemeral source — another process's stdout,
// here a generator script standing in for `psql -c "COPY ... TO STDOUT"`,
// `kafkacat`, or `zcat big.csv.gz` — into fixed-memory batches, and gathers
// per-feature statistics on the way. Nothing is stored; memory is the batch
// pool whatever the length of the stream.
//
//   npx tsx examples/stream-from-a-process.ts [rows]
import { spawn } from 'node:child_process';
import { FeatureStatistics, readBatches } from '../lib/index.js';

const rows = Number(process.argv[2] ?? 200_000);
// label, then three features: a price, a count and a flag.
const producer = spawn(process.execPath, ['-e', `
  let i = 0;
  function pump() {
    while (i < ${rows}) {
      const price = (50 + 10 * Math.sin(i)).toFixed(2), count = i % 7, flag = i % 3 === 0 ? 1 : 0;
      if (!process.stdout.write(((i * 7919) % 2) + ',' + price + ',' + count + ',' + flag + '\\n')) { i++; return process.stdout.once('drain', pump); }
      i++;
    }
    process.stdout.end();
  }
  pump();`]);

const stream = readBatches(producer.stdout, { format: 'csv', miniBatchSize: 1024 });
let stats: FeatureStatistics | undefined;
for await (const batch of stream) {
  stats ??= new FeatureStatistics(batch.cols);
  stats.update(batch);
}
console.log(JSON.stringify({
  records: stream.stats.records,
  batches: stream.stats.batches,
  poolBytes: stream.poolBytes(),
  mean: Array.from(stats!.mean, (v) => Number(v.toFixed(4))),
  std: [0, 1, 2].map((j) => Number(Math.sqrt(stats!.variance(j)).toFixed(4))),
  min: Array.from(stats!.min),
  max: Array.from(stats!.max),
}));
