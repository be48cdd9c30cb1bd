// The neural topic model against online variational LDA on real text: the State of the Union
// addresses as pseudo-paragraphs (bench/ntm-data.ts: 233 speeches, ~22,500 documents, 2,000
// words, 90/10 split), K = 20 topics for everyone.
//
// Ours: whole `boundless train ntm` processes (start-up, parsing, training, writing model and
// state), wall time and peak RSS, at --epochs 1, 5 and the default, median of
// BOUNDLESS_BENCH_REPEATS (default 3) rounds alternating the three; each model then scored by
// `boundless evaluate` (held-out perplexity, NPMI, TU on the test file) and by the peers' own
// Python scorer (bench/peers/ntm_lda.py score-model: the same NPMI and TU definitions), and one
// more one-pass run on four copies of the training file for the memory line.
// Peers (bench/peers/ntm_lda.py, each run a Python process of its own): scikit-learn's
// LatentDirichletAllocation (online, partial_fit on batches of 1,024; one pass and 5 epochs) and
// gensim's LdaModel (passes=1, chunksize=1,024), timed inside Python: load + fit.
//
// `npm run bench -- ntm` runs all of it; `npm run bench -- ntm-peers` runs the peers alone (no
// boundless needed: bench/results/ntm-peers.md, the numbers to compare with while the model is
// built). Which boundless: BOUNDLESS_CLI (default: this checkout's dist/cli/main.js). Other
// knobs: BOUNDLESS_BENCH_REPEATS (ours, default 3), BOUNDLESS_BENCH_PEER_REPEATS (peers' one-pass
// rows, default 3; the 5-epoch row runs once), BOUNDLESS_BENCH_DATA (the data folder).
// One thread for everyone: BOUNDLESS_NUM_THREADS=1, OMP/OPENBLAS/MKL_NUM_THREADS=1.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliBuild } from './cli-build.js';
import { ntmCorpus, type NtmCorpus } from './ntm-data.js';
import { oneCore } from './subprocess.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = resolve(here, '..');
const cli = resolve(process.env.BOUNDLESS_CLI ?? join(repoRoot, 'dist', 'cli', 'main.js'));
const repeats = Math.max(1, Number(process.env.BOUNDLESS_BENCH_REPEATS ?? 3));
const peerRepeats = Math.max(1, Number(process.env.BOUNDLESS_BENCH_PEER_REPEATS ?? 3));
const python = '/usr/bin/python3';
const peerScript = join(here, 'peers', 'ntm_lda.py');
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const topics = 20;
const env = { ...oneCore, MKL_NUM_THREADS: '1' };
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const shown = (path: string) => relative(repoRoot, path) || path;

export type NtmKind = 'boundless-1' | 'boundless-5' | 'boundless-default' | 'sklearn-1pass' | 'sklearn-5epochs' | 'gensim';

export interface NtmRow {
  kind: NtmKind;
  implementation: string;
  /** Ours: whole process, median. Peers: load + fit inside Python, median. */
  seconds: number;
  runs: number;
  samples: number[];
  /** Passes over the training documents (ours at the default: as the CLI reports it, when it does). */
  epochs?: number;
  loadSeconds?: number;
  fitSeconds?: number;
  /** Ours: the CLI's own reported seconds, when it reports them. */
  inProcessSeconds?: number;
  importSeconds?: number;
  documentsPerSecond?: number;
  nonZerosPerSecond?: number;
  /** The implementation's own held-out perplexity (for LDA: with the topics' term). */
  perplexity: number;
  /** LDA: without the topics' own ELBO term, comparable with a point-estimate model; ours: the same as perplexity. */
  perplexityDocumentsOnly: number;
  /** Ours: every run's perplexity (a seeded one-thread run should repeat itself). */
  perplexitySamples?: number[];
  totalLoss?: number;
  npmi: number;
  tu: number;
  /** Ours: the same scores from bench/peers/ntm_lda.py score-model. */
  npmiPython?: number;
  tuPython?: number;
  topWords?: string[][];
  /** Peak RSS of the training process (peers: up to the end of training, before scoring). */
  peakRssMb?: number;
  /** Peers: the whole Python process's peak, scoring the test file included. */
  peakRssMbProcess?: number;
  command: string;
  note?: string;
  extra?: Record<string, unknown>;
}

export interface NtmGoal { goal: string; met: boolean; detail: string }

export interface NtmResult {
  rows: NtmRow[];
  goals: NtmGoal[];
  memory?: { oneCopyMb: number; fourCopiesMb: number; fourCopiesSeconds: number; documents: [number, number] };
  notes: string[];
  corpus: NtmCorpus;
  versions: Record<string, string>;
  cli?: { path: string; commit?: string; dirty?: boolean };
  benchSeconds: number;
  peersOnly: boolean;
}

interface Timed { seconds: number; stdout: string; stderr: string; status: number | null; peakRssMb?: number }

/** One whole process, wall time around it (start-up included); peak RSS through /usr/bin/time when present. */
function timed(command: string, args: string[]): Timed {
  const rssFile = join(tmpdir(), `ntm-bench-rss-${process.pid}`);
  const [bin, argv] = timeBin ? [timeBin, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
  const t0 = performance.now();
  const result = spawnSync(bin, argv, { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = (performance.now() - t0) / 1000;
  let peakRssMb: number | undefined;
  if (timeBin && existsSync(rssFile)) {
    const last = readFileSync(rssFile, 'utf8').trim().split('\n').pop();
    if (last && /^\d+$/.test(last)) peakRssMb = Number(last) / 1024;
    rmSync(rssFile, { force: true });
  }
  return { seconds, stdout: result.stdout ?? '', stderr: result.stderr ?? '', status: result.status, peakRssMb };
}

function must(run: Timed, what: string, args: string[]): Timed {
  if (run.status !== 0) throw new Error(`${what} failed (exit ${run.status}): ${args.join(' ')}\n${run.stderr.slice(-3000)}`);
  return run;
}

const lastJson = (text: string) => JSON.parse(text.trim().split('\n').pop()!) as Record<string, unknown>;

// ------------------------------------------------------------------------------------------
// The peers

interface PeerOut {
  implementation: string; version: string; epochs: number; settings: Record<string, unknown>; load: string;
  load_seconds: number; fit_seconds: number; seconds: number; import_seconds: number;
  perplexity: number; perplexity_documents_only: number; perplexity_gensim_log_line?: number; topics_term: number; test_bound: number;
  npmi: number; tu: number; topic_npmi: number[]; top_words: string[][];
  peak_rss_mb_train: number; peak_rss_mb: number; train_documents: number; train_nonzeros: number; python: string; numpy: string;
  skipped?: string;
}

function peerArgs(impl: string, corpus: NtmCorpus): string[] {
  return [peerScript, 'run', '--impl', impl, '--train', corpus.train, '--test', corpus.test, '--vocab', corpus.vocab, '--topics', String(topics)];
}

function peer(impl: 'sklearn-1pass' | 'sklearn-5epochs' | 'gensim', corpus: NtmCorpus, runs: number, versions: Record<string, string>): NtmRow | string {
  const outs: PeerOut[] = [];
  for (let run = 0; run < runs; run++) {
    process.stderr.write(`  ${impl}: run ${run + 1}/${runs}\n`);
    const args = peerArgs(impl, corpus);
    const r = timed(python, args);
    if (r.status !== 0 && impl === 'gensim' && r.stderr.includes("No module named 'gensim'")) return 'gensim is not installed (apt-get install python3-gensim): no gensim row';
    must(r, `python3 bench/peers/ntm_lda.py run --impl ${impl}`, args);
    outs.push(lastJson(r.stdout) as unknown as PeerOut);
  }
  const o = outs[0];
  versions.python = o.python;
  versions.numpy = o.numpy;
  versions[impl === 'gensim' ? 'gensim' : 'scikit-learn'] = o.version;
  const kind: NtmKind = impl;
  const seconds = median(outs.map((x) => x.seconds));
  const passes = o.epochs;
  const perplexities = new Set(outs.map((x) => x.perplexity));
  return {
    kind, implementation: o.implementation, seconds, runs, samples: outs.map((x) => x.seconds), epochs: passes,
    loadSeconds: median(outs.map((x) => x.load_seconds)), fitSeconds: median(outs.map((x) => x.fit_seconds)), importSeconds: median(outs.map((x) => x.import_seconds)),
    documentsPerSecond: (o.train_documents * passes) / seconds, nonZerosPerSecond: (o.train_nonzeros * passes) / seconds,
    perplexity: o.perplexity, perplexityDocumentsOnly: o.perplexity_documents_only, npmi: o.npmi, tu: o.tu, topWords: o.top_words,
    peakRssMb: Math.max(...outs.map((x) => x.peak_rss_mb_train)), peakRssMbProcess: Math.max(...outs.map((x) => x.peak_rss_mb)),
    command: `OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 /usr/bin/python3 ${shown(peerScript)} run --impl ${impl} --train ${shown(corpus.train)} --test ${shown(corpus.test)} --vocab ${shown(corpus.vocab)} --topics ${topics}`,
    note: impl === 'gensim' ? 'load_svmlight_file + Sparse2Corpus; chunksize 1,024, passes 1, eval_every off, random_state 0, its defaults otherwise (alpha = eta = 1/K, decay 0.5, offset 1, 50 iterations)'
      : `load_svmlight_file + partial_fit on batches of 1,024 rows${passes > 1 ? `, ${passes} passes` : ''}; learning_offset 10, learning_decay 0.7, total_samples ${o.train_documents.toLocaleString('en-US')}, random_state 0`,
    extra: {
      settings: o.settings, load: o.load, topicsTerm: o.topics_term, testBound: o.test_bound, topicNpmi: o.topic_npmi,
      ...(o.perplexity_gensim_log_line ? { perplexityGensimLogLine: o.perplexity_gensim_log_line } : {}),
      ...(perplexities.size > 1 ? { perplexityVariesBetweenRuns: [...perplexities] } : {}),
    },
  };
}

// ------------------------------------------------------------------------------------------
// Ours

function trainArgs(corpus: NtmCorpus, train: string, epochs: number | undefined, modelDir: string): string[] {
  return ['train', 'ntm', '--train', train, '--format', 'libsvm', '--feature-dim', String(corpus.featureDim), '--vocab', corpus.vocab,
    '--hp', `num_topics=${topics}`, ...(epochs === undefined ? [] : ['--epochs', String(epochs)]), '--model-dir', modelDir];
}

function shownTrain(corpus: NtmCorpus, train: string, epochs: number | undefined): string {
  return `BOUNDLESS_NUM_THREADS=1 boundless ${trainArgs(corpus, shown(train), epochs, 'DIR').join(' ').replace(corpus.vocab, shown(corpus.vocab))}`;
}

/** Before anything is timed: is there a `boundless train ntm` at all? One short run on the test file. */
function probe(corpus: NtmCorpus): void {
  if (!existsSync(cli)) throw new Error(`no boundless CLI at ${cli}: build it (npm run build:ts) or point BOUNDLESS_CLI at a dist/cli/main.js`);
  const dir = mkdtempSync(join(tmpdir(), 'ntm-bench-probe-'));
  try {
    const args = [cli, ...trainArgs(corpus, corpus.test, 1, dir)];
    const r = timed(process.execPath, args);
    if (r.status === 0) return;
    const line = r.stderr.trim().split('\n').pop() ?? '';
    if (/unknown algorithm 'ntm'|unknown option --vocab/.test(r.stderr)) {
      throw new Error(`this boundless (${cli}) has no \`boundless train ntm\` (with --vocab) yet: ${line.slice(0, 300)}\nThe ntm suite measures it and reports no numbers without it; \`npm run bench -- ntm-peers\` runs the peers alone.`);
    }
    throw new Error(`boundless train ntm failed on the test file before any timing (exit ${r.status}): node ${args.join(' ')}\n${r.stderr.slice(-3000)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Scored { perplexity: number; totalLoss: number; npmi: number; tu: number; npmiPython: number; tuPython: number; topWords: string[][] }

function score(corpus: NtmCorpus, model: string): Scored {
  const args = [cli, 'evaluate', '--model', model, '--test', corpus.test, '--format', 'libsvm'];
  const metrics = lastJson(must(timed(process.execPath, args), 'boundless evaluate', args).stdout);
  for (const key of ['total_loss', 'perplexity', 'npmi', 'tu']) {
    if (typeof metrics[key] !== 'number') throw new Error(`boundless evaluate did not report a number '${key}' (it printed ${JSON.stringify(metrics)})`);
  }
  const pyArgs = [peerScript, 'score-model', '--model', model, '--test', corpus.test, '--vocab', corpus.vocab];
  const py = lastJson(must(timed(python, pyArgs), 'python3 bench/peers/ntm_lda.py score-model', pyArgs).stdout) as { npmi: number; tu: number; top_words: string[][] };
  return {
    perplexity: metrics.perplexity as number, totalLoss: metrics.total_loss as number, npmi: metrics.npmi as number, tu: metrics.tu as number,
    npmiPython: py.npmi, tuPython: py.tu, topWords: py.top_words,
  };
}

/** The number of passes a train run reports, wherever its JSON summary puts it. */
function reportedEpochs(out: Record<string, unknown>): number | undefined {
  const metrics = (out.metrics ?? {}) as Record<string, unknown>;
  for (const v of [metrics.epochs, out.epochs, (metrics.train as Record<string, unknown> | undefined)?.epochs]) if (typeof v === 'number') return v;
  return undefined;
}

function ours(corpus: NtmCorpus, rows: NtmRow[]): NtmResult['memory'] {
  const configs: { kind: NtmKind; epochs: number | undefined; label: string }[] = [
    { kind: 'boundless-1', epochs: 1, label: 'boundless train ntm, --epochs 1' },
    { kind: 'boundless-5', epochs: 5, label: 'boundless train ntm, --epochs 5' },
    { kind: 'boundless-default', epochs: undefined, label: 'boundless train ntm, default epochs' },
  ];
  const work = mkdtempSync(join(tmpdir(), 'ntm-bench-'));
  try {
    const runs = configs.map(() => ({ seconds: [] as number[], inProcess: [] as number[], rss: [] as number[], perplexity: [] as number[], epochs: undefined as number | undefined, scored: undefined as Scored | undefined }));
    for (let round = 0; round < repeats; round++) {
      configs.forEach((c, i) => {
        process.stderr.write(`  boundless: round ${round + 1}/${repeats}, ${c.label}\n`);
        const dir = join(work, `${c.kind}-${round}`);
        const args = [cli, ...trainArgs(corpus, corpus.train, c.epochs, dir)];
        const r = must(timed(process.execPath, args), 'boundless train ntm', args);
        const out = lastJson(r.stdout);
        runs[i].seconds.push(r.seconds);
        const inProcess = (out.metrics as Record<string, unknown> | undefined)?.seconds;
        if (typeof inProcess === 'number') runs[i].inProcess.push(inProcess);
        if (r.peakRssMb) runs[i].rss.push(r.peakRssMb);
        runs[i].epochs = reportedEpochs(out) ?? c.epochs;  // what ran (early stopping may end sooner than --epochs)
        const scored = score(corpus, join(dir, 'model.safetensors'));
        runs[i].perplexity.push(scored.perplexity);
        runs[i].scored = scored;
        rmSync(dir, { recursive: true, force: true });
      });
    }
    configs.forEach((c, i) => {
      const r = runs[i];
      const s = r.scored!;
      const seconds = median(r.seconds);
      const passes = r.epochs;
      rows.push({
        kind: c.kind, implementation: c.label, seconds, runs: r.seconds.length, samples: r.seconds, epochs: passes,
        ...(r.inProcess.length ? { inProcessSeconds: median(r.inProcess) } : {}),
        ...(passes ? { documentsPerSecond: (corpus.stats.train.documents * passes) / seconds, nonZerosPerSecond: (corpus.stats.train.nonZeros * passes) / seconds } : {}),
        perplexity: median(r.perplexity), perplexityDocumentsOnly: median(r.perplexity), perplexitySamples: r.perplexity, totalLoss: s.totalLoss,
        npmi: s.npmi, tu: s.tu, npmiPython: s.npmiPython, tuPython: s.tuPython, topWords: s.topWords,
        ...(r.rss.length ? { peakRssMb: Math.max(...r.rss) } : {}),
        command: shownTrain(corpus, corpus.train, c.epochs),
        note: 'whole process: start-up, parsing, training, writing model and state',
      });
    });
    // The memory line: one pass over four copies of the training file.
    process.stderr.write('  boundless: one pass over four copies of the training file (memory)\n');
    const dir = join(work, 'x4');
    const args = [cli, ...trainArgs(corpus, corpus.trainX4, 1, dir)];
    const big = must(timed(process.execPath, args), 'boundless train ntm (four copies)', args);
    const one = rows.find((r) => r.kind === 'boundless-1')!;
    if (one.peakRssMb === undefined || big.peakRssMb === undefined) return undefined;
    return { oneCopyMb: one.peakRssMb, fourCopiesMb: big.peakRssMb, fourCopiesSeconds: big.seconds, documents: [corpus.stats.train.documents, corpus.stats.trainX4.documents] };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------
// Goals

function goals(rows: NtmRow[], memory: NtmResult['memory']): NtmGoal[] {
  const of = (kind: NtmKind) => rows.find((r) => r.kind === kind);
  const lda1 = of('sklearn-1pass')!;
  const lda5 = of('sklearn-5epochs')!;
  const ourRows = rows.filter((r) => r.kind.startsWith('boundless'));
  const def = of('boundless-default')!;
  const f = (v: number, d = 1) => v.toFixed(d);
  const out: NtmGoal[] = [];
  const each = (limit: number, target: number, libraryTarget: number) => ourRows.map((r) => ({
    r, met: r.perplexity <= target && r.seconds <= limit, metLibrary: r.perplexity <= libraryTarget && r.seconds <= limit,
    text: `${r.implementation.replace('boundless train ntm, ', '')}: ${f(r.perplexity)} in ${f(r.seconds, 2)} s`,
  }));
  const g1 = each(lda1.seconds / 3, lda1.perplexityDocumentsOnly, lda1.perplexity);
  out.push({
    goal: 'held-out perplexity ≤ scikit-learn LDA one pass, in ≤ 1/3 of its time',
    met: g1.some((x) => x.met),
    detail: `LDA one pass: ${f(lda1.perplexityDocumentsOnly)} (documents only; ${f(lda1.perplexity)} with the topics' term) in ${f(lda1.seconds, 2)} s, so ≤ ${f(lda1.seconds / 3, 2)} s; ours: ${g1.map((x) => `${x.text} ${x.met ? '(meets it)' : x.metLibrary ? '(meets only the library\'s own number)' : '(does not)'}`).join('; ')}`,
  });
  const g2 = each(lda1.seconds, lda5.perplexityDocumentsOnly, lda5.perplexity);
  out.push({
    goal: 'held-out perplexity ≤ scikit-learn LDA 5 epochs, within LDA one pass\'s time',
    met: g2.some((x) => x.met),
    detail: `LDA 5 epochs: ${f(lda5.perplexityDocumentsOnly)} (documents only; ${f(lda5.perplexity)} with the topics' term); LDA one pass took ${f(lda1.seconds, 2)} s; ours: ${g2.map((x) => `${x.text} ${x.met ? '(meets it)' : x.metLibrary ? '(meets only the library\'s own number)' : '(does not)'}`).join('; ')}`,
  });
  const lda = rows.filter((r) => !r.kind.startsWith('boundless'));
  const best = lda.reduce((a, b) => (b.npmi > a.npmi ? b : a));
  out.push({
    goal: 'NPMI ≥ LDA\'s (the best LDA row), default epochs',
    met: def.npmi >= best.npmi,
    detail: `ours ${f(def.npmi, 4)}; ${lda.map((r) => `${r.implementation} ${f(r.npmi, 4)}`).join('; ')}`,
  });
  // The same number of passes over the data: our one pass against LDA's, our five against its five.
  const one = of('boundless-1')!, five = of('boundless-5')!;
  out.push({
    goal: 'NPMI ≥ LDA\'s at the same number of passes (1 and 5)',
    met: one.npmi >= lda1.npmi && five.npmi >= lda5.npmi,
    detail: `one pass: ours ${f(one.npmi, 4)}, scikit-learn ${f(lda1.npmi, 4)}; five: ours ${f(five.npmi, 4)}, scikit-learn ${f(lda5.npmi, 4)}`,
  });
  out.push({ goal: `TU ≥ 0.7 at ${topics} topics, default epochs`, met: def.tu >= 0.7, detail: `ours ${f(def.tu, 3)} (LDA: ${lda.map((r) => f(r.tu, 3)).join(', ')})` });
  if (memory) {
    const allowed = Math.max(0.1 * memory.oneCopyMb, 16);
    out.push({
      goal: 'fixed memory: peak RSS of a one-pass run on four copies of the training file ≈ on one (within 10% or 16 MB)',
      met: memory.fourCopiesMb - memory.oneCopyMb <= allowed,
      detail: `${Math.round(memory.oneCopyMb)} MB on ${memory.documents[0].toLocaleString('en-US')} documents, ${Math.round(memory.fourCopiesMb)} MB on ${memory.documents[1].toLocaleString('en-US')} (${f(memory.fourCopiesSeconds, 2)} s)`,
    });
  } else {
    out.push({ goal: 'fixed memory (four copies of the training file)', met: false, detail: 'not measured: /usr/bin/time is missing' });
  }
  return out;
}

// ------------------------------------------------------------------------------------------

const cliCommit = (): NtmResult['cli'] => cliBuild(cli);

export async function runNtm(options: { peersOnly?: boolean } = {}): Promise<NtmResult> {
  const peersOnly = options.peersOnly === true;
  const started = performance.now();
  const loadBefore = loadavg()[0];
  process.stderr.write('  corpus (once, into bench/data) ...\n');
  const corpus = await ntmCorpus();
  // Fail before timing anything when this boundless has no ntm (no numbers are made up).
  if (!peersOnly) probe(corpus);
  for (const path of [corpus.train, corpus.test]) readFileSync(path);  // warm the page cache
  const rows: NtmRow[] = [];
  const notes: string[] = [];
  const versions: Record<string, string> = { node: process.version };
  let memory: NtmResult['memory'];
  if (!peersOnly) memory = ours(corpus, rows);
  for (const [impl, runs] of [['sklearn-1pass', peerRepeats], ['sklearn-5epochs', 1], ['gensim', peerRepeats]] as const) {
    const row = peer(impl, corpus, runs, versions);
    if (typeof row === 'string') notes.push(row);
    else rows.push(row);
  }
  const t = corpus.stats;
  notes.push(
    `Corpus: ${corpus.source}. Licence: ${corpus.licence}. Recipe (bench/ntm-data.ts): ${corpus.recipe}. ${corpus.speeches} speeches → ${corpus.segments.toLocaleString('en-US')} pseudo-paragraphs → ${corpus.documentsWithTenTokens.toLocaleString('en-US')} with ≥ 10 tokens; train ${t.train.documents.toLocaleString('en-US')} documents (${t.train.tokens.toLocaleString('en-US')} tokens, ${t.train.meanTokens.toFixed(1)} a document, ${t.train.nonZeros.toLocaleString('en-US')} non-zeros), test ${t.test.documents.toLocaleString('en-US')} (${t.test.tokens.toLocaleString('en-US')} tokens, ${t.test.nonZeros.toLocaleString('en-US')} non-zeros), ${corpus.featureDim.toLocaleString('en-US')} words.`,
    `K = ${topics} topics everywhere; one thread each (BOUNDLESS_NUM_THREADS=1, OMP/OPENBLAS/MKL_NUM_THREADS=1). ${peersOnly ? '' : `Ours: whole \`boundless train\` processes (node start-up, parsing, training, writing model and state), wall time, median of ${repeats} rounds alternating --epochs 1 → 5 → default; peak RSS from /usr/bin/time (the largest of the runs). `}Peers: each run is a Python process of its own; seconds = loading the training file + fitting, timed inside Python (interpreter start-up and imports excluded: about ${rows.filter((r) => r.importSeconds !== undefined).map((r) => r.importSeconds!.toFixed(1)).join('/')} s); median of ${peerRepeats} runs for the one-pass rows, one run for scikit-learn's 5 epochs; their peak RSS is the process's peak at the end of training (before scoring the test file), imports included.`,
    'Perplexity: the LDA rows\' "perplexity" is the library\'s own held-out estimate, exp(−ELBO / test words), where the ELBO of the test documents (topic proportions inferred with the topics fixed) has the topics\' own term E[log p(β|η) − log q(β|λ)] added once (scikit-learn\'s perplexity() and exp(−gensim\'s log_perplexity()) are the same formula; gensim\'s own log line prints 2^(−bound), but the bound is in nats, so exp is the comparable one: its 2^ value is kept in the JSON). That term does not depend on the test documents and is large on a test set of this size, so "documents only" leaves it out: that is the number a model with point-estimate topics is compared with (the goals use it).',
    `NPMI and TU (bench/peers/ntm_lda.py, and \`boundless evaluate\` with the same definitions): each topic's 10 largest-weight words (ties to the smaller id); NPMI over the ${t.test.documents.toLocaleString('en-US')} test documents as reference, document co-occurrence: P(w) = share of documents containing w, NPMI(wi, wj) = log(P(wi,wj)/(P(wi)P(wj))) / −log P(wi,wj), −1 when P(wi,wj) = 0, 1 when it is 1; the mean over each topic's 45 pairs, then over topics. TU: mean over topics of the mean over its 10 words of 1/(number of topics whose top 10 contain the word).`,
    `Versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    `Machine load (1-minute load average) was ${loadBefore.toFixed(2)} at the start and ${loadavg()[0].toFixed(2)} at the end, on ${cpus().length} cores shared with other work: times move by ±20–50% between runs here; read ratios as ranges.`,
  );
  const result: NtmResult = {
    rows, goals: peersOnly ? [] : goals(rows, memory), ...(memory ? { memory } : {}), notes, corpus, versions,
    ...(peersOnly ? {} : { cli: cliCommit() }), benchSeconds: (performance.now() - started) / 1000, peersOnly,
  };
  if (result.cli) notes.splice(1, 0, `boundless: ${result.cli.path}${result.cli.commit ? ` (commit ${result.cli.commit.slice(0, 10)}${result.cli.dirty ? ', lib/ or native/ modified' : ''})` : ''}.`);
  return result;
}

// ------------------------------------------------------------------------------------------
// Markdown

export function ntmMarkdown(result: NtmResult): string {
  const { rows, corpus } = result;
  const reference = result.peersOnly ? rows.find((r) => r.kind === 'sklearn-1pass')! : rows.find((r) => r.kind === 'boundless-default')!;
  const f = (v: number | undefined, d = 2) => (v === undefined ? '' : v.toFixed(d));
  const n = (v: number | undefined) => (v === undefined ? '—' : Math.round(v).toLocaleString('en-US'));
  const ratioName = result.peersOnly ? 'time ÷ scikit-learn one pass' : 'time ÷ boundless default';
  const out = [
    `State of the Union pseudo-paragraphs: ${corpus.stats.train.documents.toLocaleString('en-US')} training and ${corpus.stats.test.documents.toLocaleString('en-US')} test documents, ${corpus.featureDim.toLocaleString('en-US')} words, ${corpus.stats.train.meanTokens.toFixed(1)} tokens a document; K = ${topics}.${result.peersOnly ? ' Peers only: `boundless train ntm` is not in this run.' : ''}`, '',
    `| implementation | seconds | runs | breakdown | documents/s | non-zeros/s | held-out perplexity | perplexity, documents only | NPMI | TU | peak RSS | ${ratioName} |`,
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const ourRow = r.kind.startsWith('boundless');
    const breakdown = ourRow ? `whole process${r.inProcessSeconds !== undefined ? `; in-process ${f(r.inProcessSeconds)}` : ''}${r.epochs ? `; ${r.epochs} epoch${r.epochs === 1 ? '' : 's'}` : ''}`
      : `load ${f(r.loadSeconds)} + fit ${f(r.fitSeconds)}`;
    const differs = (a: number, b?: number) => (b !== undefined && Math.abs(a - b) > 1e-6 ? ` (Python: ${b.toFixed(4)})` : '');
    out.push(`| ${r.implementation}${r.note ? ` — ${r.note}` : ''} | ${f(r.seconds)} | ${r.runs} | ${breakdown} | ${n(r.documentsPerSecond)} | ${n(r.nonZerosPerSecond)} | ${f(r.perplexity, 1)} | ${ourRow ? '(same)' : f(r.perplexityDocumentsOnly, 1)} | ${f(r.npmi, 4)}${differs(r.npmi, r.npmiPython)} | ${f(r.tu, 3)}${differs(r.tu, r.tuPython)} | ${r.peakRssMb ? `${Math.round(r.peakRssMb)} MB` : ''} | ${f(r.seconds / reference.seconds)}× |`);
  }
  if (result.goals.length) {
    out.push('', 'Goals:');
    for (const g of result.goals) out.push(`- ${g.met ? '**met**' : '**not met**'}: ${g.goal} — ${g.detail}`);
  }
  out.push('', 'Top words (first 5 topics of each):', '');
  for (const r of rows) {
    if (!r.topWords) continue;
    out.push(`- ${r.implementation}: ${r.topWords.slice(0, 5).map((t) => t.join(' ')).join(' · ')}`);
  }
  out.push('', 'Commands:', '', ...rows.map((r) => `    ${r.command}`), '', '## Notes', '', ...result.notes.map((x) => `- ${x}`), '', `Bench time: ${result.benchSeconds.toFixed(0)} s.`);
  return out.join('\n');
}
