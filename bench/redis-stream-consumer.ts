// One member of the Redis stream benchmark's consumer group, in its own process: reads the
// stream (or a file, for the reference row) into batches and prints one JSON line with the
// records it read and when it finished (Date.now(), so the parent can time the whole group).
// Usage: node --import tsx bench/redis-stream-consumer.ts <redis-url|file>
import { readBatches } from '../lib/index.js';

const input = process.argv[2];
const started = performance.now();
const stream = readBatches(input, { miniBatchSize: 4096 });
let records = 0;
for await (const batch of stream) records += batch.rows;
await stream.commit('end');
await stream.close();
process.stdout.write(JSON.stringify({ records, seconds: (performance.now() - started) / 1000, finishedAt: Date.now() }) + '\n');
