// The neural topic model (SageMaker's NTM, re-designed for streams): a
// variational autoencoder over bags of words whose decoder rows are the topics
// (native/algorithms/ntm/ntm.h has the model). One native call trains on a batch
// of documents; the state is the network's weights, the optimizer's moments and
// the loss sums; shards merge by averaging weights by the documents each trained on.
import { requireAlgorithm } from '../merge-checks.js';
import { DegenerateDataError, requireEvaluatedWeight, requireTrainingWeight } from '../degenerate-data.js';
import { runKernel } from '../../backends/run-kernel.js';
import type { Backend } from '../../backends/registry.js';
import { BatchError, type Batch } from '../../data/batch.js';
import { tensor, type Tensor } from '../../state/tensor.js';
import { countedUpdate } from '../counted-update.js';
import { parseHyperparameters } from '../hyperparameters.js';
import { removeExtraBaseCounts } from '../round-counts.js';
import type { Algorithm, Evaluator, ModelData, Selection } from '../types.js';
import { addCoherenceBatch, addReservoir, createCoherenceCounts, mean, npmiPerTopic, topicUniqueness } from './coherence.js';
import { ntmSchema, type NtmHyperparameters as Hp, type NtmSchema } from './hyperparameters.js';
import { namedBlocks, NtmModel, runningBlocks, topWords, vocabularyTensor, type Topic, maxWordCount } from './model.js';
import { encoderWidths } from './settings.js';
import { bucketNames, bucketSketchTensorNames, mergeBucketSketches, updateBucketSketch } from './bucket-sketch.js';
import {
  counter, createNtmState, freshScalars, kernelState, metric, metricCount, reservoirWidth, settingsOf, type NtmState,
} from './state.js';
import { guardStates } from '../state-guard.js';

export { NtmModel, topWords } from './model.js';
export type { Topic } from './model.js';
export { ntmSchema } from './hyperparameters.js';
export type { NtmHyperparameters } from './hyperparameters.js';
export type { NtmState } from './state.js';
export { npmiPerTopic, topicUniqueness } from './coherence.js';
export { reservoirDocuments, reservoirWidth } from './state.js';

const stateSettings = (state: NtmState) => settingsOf(state.hyperparameters, state.schema.featureDim, state.tensors.parameters.data);

/**
 * SageMaker's loss names from metric sums: total_loss is the mean negative ELBO per document (nats),
 * perplexity exp(Σ negative ELBO / Σ words) — corpus-level, as scikit-learn's LDA reports it.
 */
export function lossMetrics(sums: Float64Array): Record<string, number> {
  const documents = sums[metric.documents];
  if (!(documents > 0)) return {};
  return {
    total_loss: sums[metric.loss] / documents,
    perplexity: Math.exp(sums[metric.loss] / sums[metric.words]),
    reconstruction_loss: sums[metric.reconstruction] / documents,
    kl_divergence: sums[metric.kl] / documents,
  };
}

/**
 * The training loss of the epoch under way, else of the last whole epoch; and, once a pass is whole,
 * the NPMI (over the reservoir of training documents) and TU of the topics at its end.
 */
function trainingMetrics(state: NtmState): Record<string, number> {
  const current = state.tensors.epoch_sums.data as Float64Array;
  const losses = lossMetrics(current[metric.documents] > 0 ? current : state.tensors.last_epoch_sums.data as Float64Array);
  const { npmi, tu } = state.scalars;
  return { ...losses, ...(typeof npmi === 'number' ? { npmi } : {}), ...(typeof tu === 'number' ? { tu } : {}) };
}

/** Each topic's top words from a state's topic-word block (no finalize). */
function stateTopics(state: NtmState, top = 10): Topic[] {
  const { settings, layout } = stateSettings(state);
  const V = settings.vocabulary;
  const parameters = state.tensors.parameters.data as Float32Array;
  // Hashed raw text: a bucket no word has reached is not a topic word (as the model's topics() rank them).
  const counts = state.tensors.bucket_counts?.data as Float64Array | undefined;
  const slots = counts ? counts.length / V : 0;
  const named = counts ? (i: number) => { for (let s = 0; s < slots; s++) if (counts[i * slots + s] > 0) return true; return false; } : undefined;
  let available = V;
  if (named) { available = 0; for (let i = 0; i < V; i++) if (named(i)) available++; }
  const n = Math.min(top, available);
  return Array.from({ length: settings.topics }, (_, k) => {
    const row = parameters.subarray(layout.topicWord + k * V, layout.topicWord + (k + 1) * V);
    const ids = topWords(row, n, named);
    return { topic: k, ids, words: ids.map(String), weights: ids.map((i) => row[i]) };
  });
}

/** NPMI of each of the state's topics over its reservoir of training documents. */
export function reservoirNpmi(state: NtmState, topics = stateTopics(state)): number[] {
  const counts = createCoherenceCounts(topics, state.schema.featureDim);
  addReservoir(counts, state.tensors.reservoir.data as Int32Array, reservoirWidth);
  return npmiPerTopic(counts);
}

/**
 * After a pass: the epoch's loss sums become the last epoch's, and topic coherence (NPMI over the
 * reservoir of training documents) and uniqueness are measured: fixed-size work, once per pass.
 */
function endPass(state: NtmState): void {
  const current = state.tensors.epoch_sums.data as Float64Array;
  (state.tensors.last_epoch_sums.data as Float64Array).set(current);
  current.fill(0);
  state.scalars.passes = Number(state.scalars.passes ?? 0) + 1;
  const topics = stateTopics(state);
  const npmi = mean(reservoirNpmi(state, topics));
  state.scalars.npmi = Number.isFinite(npmi) ? npmi : null;
  state.scalars.tu = topicUniqueness(topics);
}

/** Documents without a word give no topics: a stream of only those is reported, not modelled. */
function checkTrainingData(state: NtmState): void {
  const sums = state.tensors.epoch_sums.data as Float64Array;
  const last = state.tensors.last_epoch_sums.data as Float64Array;
  const words = sums[metric.words] + last[metric.words];
  const documents = Number(state.scalars.examples_seen);
  // A state that has seen nothing still gives its initial network (the trainer refuses an empty channel itself).
  if (documents === 0) return;
  requireFiniteLoss(state);
  // Topics are words that occur together across documents: one document's words all do (NPMI 1).
  if (words > 0 && documents === 1) {
    throw new DegenerateDataError('ntm: the training data held 1 document; topics are words that occur together across documents, ' +
      'and one document gives none (each of its words occurs with all the others). Give a corpus of many documents, one a row');
  }
  if (words > 0) return;
  const subSample = state.hyperparameters.sub_sample;
  // Documents of weight 0 count no words either: say so, not that there were none.
  if (subSample >= 1) requireTrainingWeight('ntm', documents, sums[metric.documents] + last[metric.documents]);
  if (subSample < 1) {
    throw new DegenerateDataError(`ntm: sub_sample ${subSample} drew none of the ${documents.toLocaleString('en-US')} documents read ` +
      '(or none it drew held a word): raise sub_sample');
  }
  throw new DegenerateDataError(`ntm: the training data held ${documents.toLocaleString('en-US')} document${documents === 1 ? '' : 's'} and no words ` +
    '(every count was 0); a topic model needs word counts. Check --format and --feature-dim, and that the rows are bags of words');
}

/**
 * A pass whose loss is not finite, or whose perplexity overflows (a loss past 709 nats a word, where
 * a uniform guess over the vocabulary costs ln V), trained a diverged network. The run went on with
 * NaN losses and no word, kept its last finite epoch (weights near 1e7) and wrote it, and evaluate
 * then printed null metrics with exit 0 (sgd at learning_rate 1, a document of counts 1e5).
 */
function requireFiniteLoss(state: NtmState): void {
  const current = state.tensors.epoch_sums.data as Float64Array;
  const sums = current[metric.documents] > 0 ? current : state.tensors.last_epoch_sums.data as Float64Array;
  const losses = lossMetrics(sums);
  if (!(sums[metric.words] > 0) || (Number.isFinite(losses.total_loss) && Number.isFinite(losses.perplexity))) return;
  const hp = state.hyperparameters;
  const pass = Number(state.scalars.passes ?? 0) + (current[metric.documents] > 0 ? 1 : 0);
  throw new DegenerateDataError(`ntm: training diverged: pass ${pass}'s total_loss is ${losses.total_loss.toPrecision(4)} and its perplexity ` +
    `${losses.perplexity} (a loss of ${(sums[metric.loss] / sums[metric.words]).toPrecision(4)} a word, where a uniform guess costs ` +
    `${Math.log(state.schema.featureDim).toFixed(2)}); lower learning_rate (${hp.learning_rate}), set clip_gradient (e.g. 10), ` +
    `or use optimizer adam (optimizer is ${hp.optimizer}). Counts far above the rest (a document of 1e5 of a word) do it too`);
}

/** Whether every parameter is finite; finalize refuses a diverged network. */
function requireFinite(state: NtmState): void {
  const parameters = state.tensors.parameters.data as Float32Array;
  for (let i = 0; i < parameters.length; i++) {
    if (!Number.isFinite(parameters[i])) {
      const hp = state.hyperparameters;
      throw new RangeError(`ntm: training diverged (a network weight is ${parameters[i]}); lower learning_rate (${hp.learning_rate}), ` +
        `set clip_gradient (e.g. 10), or use optimizer adam (optimizer is ${hp.optimizer})`);
    }
  }
}

function finalize(state: NtmState, backend: Backend, selection?: Selection): NtmModel {
  for (const key of Object.keys(selection ?? {})) throw new RangeError(`ntm select: unknown selection '${key}'; an NTM state holds one model`);
  checkTrainingData(state);
  requireFinite(state);
  const { settings, layout } = stateSettings(state);
  const parameters = state.tensors.parameters.data as Float32Array;
  const running = state.tensors.running.data as Float32Array;
  const tensors: Record<string, Tensor> = {};
  for (const [name, offset, shape] of namedBlocks(settings, layout)) tensors[name] = tensor(parameters.slice(offset, offset + shape.reduce((a, b) => a * b, 1)), shape);
  for (const [name, offset, shape] of runningBlocks(settings, layout)) tensors[name] = tensor(running.slice(offset, offset + shape.reduce((a, b) => a * b, 1)), shape);
  // Words: the vocabulary given, or for hashed raw text each bucket's most frequent words ("tax|taxes").
  const vocabulary = state.tensors.bucket_words ? bucketNames(state.tensors, state.schema.featureDim) : state.schema.vocabulary;
  if (Array.isArray(vocabulary)) tensors.vocabulary = vocabularyTensor(vocabulary as string[]);
  const { vocabulary: _, ...schema } = state.schema;
  const data: ModelData = {
    algorithm: 'ntm', hyperparameters: state.hyperparameters, schema: schema as ModelData['schema'], tensors,
    scalars: { num_topics: settings.topics, encoder_layers: settings.hidden.join(','), examples_seen: state.scalars.examples_seen, ...trainingMetrics(state) },
  };
  return new NtmModel(data, backend);
}

/**
 * Loss and perplexity at the posterior mean (deterministic), NPMI of each topic's top 10 words over
 * the evaluated documents, and TU.
 */
function createEvaluator(model: NtmModel): Evaluator & { npmiPerTopic(): number[] } {
  const sums = new Float64Array(metricCount);
  const topics = model.topics(10);
  const counts = createCoherenceCounts(topics, model.featureDim);
  const state = { parameters: model.parameters, running: model.running };
  let batches = 0;
  return {
    async add(batch: Batch) {
      // The model's own checks name what differs (its vocabulary, its width) without a batch number.
      model.checkInput(batch);
      try {
        await runKernel(model.backend, 'ntmEvaluate', { settings: model.settings, state, batch, metrics: sums });
        await addCoherenceBatch(counts, batch);
      } catch (error) {
        throw new BatchError(`ntm evaluate batch ${batches}: ${(error as Error).message}`);
      }
      batches++;
    },
    result: () => {
      // Documents are counted by weight: none, or all of weight 0, have no mean.
      requireEvaluatedWeight('ntm', sums[metric.documents]);
      const losses = lossMetrics(sums);
      // Perplexity over no words is not a number, and a loss of KL alone would steer early stopping.
      if (!(sums[metric.words] > 0)) {
        throw new DegenerateDataError(`ntm evaluate: the ${sums[metric.documents].toLocaleString('en-US')} documents evaluated hold no words ` +
          '(every count was 0): perplexity and NPMI need words. Check --format and --feature-dim');
      }
      // A diverged network (trained before training refused one) scores NaN or an overflowing perplexity: never null metrics.
      if (!Number.isFinite(losses.total_loss) || !Number.isFinite(losses.perplexity)) {
        throw new DegenerateDataError(`ntm evaluate: the model's total_loss on these documents is ${losses.total_loss.toPrecision(4)} and its ` +
          `perplexity ${losses.perplexity} (a loss of ${(sums[metric.loss] / sums[metric.words]).toPrecision(4)} a word): its network diverged ` +
          'in training, or these documents hold counts far beyond its training data\'s. Train it again with a lower learning_rate or clip_gradient');
      }
      return { ...losses, npmi: mean(npmiPerTopic(counts)), tu: topicUniqueness(topics) };
    },
    npmiPerTopic: () => npmiPerTopic(counts),
  };
}

const slotOf = (r: Int32Array, d: number) => r.subarray(d * reservoirWidth, (d + 1) * reservoirWidth);
const filled = (r: Int32Array, d: number) => r[d * reservoirWidth] >= 0;
const sameSlot = (a: Int32Array, b: Int32Array, d: number) => slotOf(a, d).every((v, i) => v === b[d * reservoirWidth + i]);

/**
 * The merged reservoir. Shards: their filled slots taken in turn (each shard's sample, interleaved,
 * until the reservoir is full). A round (`base` given): base's sample, and each worker's new
 * documents (slots that differ from base's) into empty slots first, else in place.
 */
function mergeReservoirs(out: Int32Array, sources: Int32Array[], base?: Int32Array): void {
  const slots = out.length / reservoirWidth;
  out.fill(-1);
  if (base) {
    out.set(base);
    let empty = 0;
    for (const source of sources) {
      for (let d = 0; d < slots; d++) {
        if (!filled(source, d) || sameSlot(source, base, d)) continue;
        while (empty < slots && filled(out, empty)) empty++;
        out.set(slotOf(source, d), (filled(base, d) || empty >= slots ? d : empty) * reservoirWidth);
      }
    }
    return;
  }
  const lists = sources.map((r) => Array.from({ length: slots }, (_, d) => d).filter((d) => filled(r, d)));
  let at = 0;
  for (let turn = 0; at < slots && lists.some((l) => turn < l.length); turn++) {
    for (const [i, list] of lists.entries()) if (turn < list.length && at < slots) out.set(slotOf(sources[i], list[turn]), reservoirWidth * at++);
  }
}

/** Shards' states: weights, moments and running moments averaged by the rows each trained on since base; sums added. */
function mergeSince(states: NtmState[], base: NtmState | undefined, into?: NtmState): NtmState {
  if (states.length === 0) throw new RangeError('ntm merge: no states');
  requireAlgorithm('ntm merge', 'ntm', base ? [...states, base] : states);
  const first = states[0];
  for (const [i, s] of states.entries()) {
    if (s.schema.featureDim !== first.schema.featureDim) throw new RangeError(`ntm merge: state ${i} has ${s.schema.featureDim} features, state 0 has ${first.schema.featureDim}`);
    for (const name of ['num_topics', 'encoder_layers', 'batch_norm', 'optimizer', 'encoder_layers_activation'] as const) {
      if (String(s.hyperparameters[name]) !== String(first.hyperparameters[name])) throw new RangeError(`ntm merge: state ${i} has ${name} ${s.hyperparameters[name]}, state 0 has ${first.hyperparameters[name]}`);
    }
  }
  const merged = into ? Object.assign(into, { schema: { ...first.schema }, scalars: freshScalars() }) : createNtmState(first.hyperparameters, first.schema);
  const baseRows = base ? (base.tensors.counters.data as Float64Array)[counter.rows] : 0;
  const rows = states.map((s) => (s.tensors.counters.data as Float64Array)[counter.rows] - baseRows);
  const trained = rows.reduce((a, b) => a + b, 0);
  if (merged.tensors.bucket_words) {
    // Sums of word counts: merged as summaries (in a round, the rows before it count once per worker;
    // they can only change which word names a bucket where two words' counts are close).
    for (const name of bucketSketchTensorNames) (merged.tensors[name].data as Uint8Array | Float64Array).fill(0);  // `into` holds an older state's
    mergeBucketSketches(merged.tensors, states.map((s) => s.tensors));
  }
  for (const [name, t] of Object.entries(merged.tensors)) {
    if (name === 'counters' || (bucketSketchTensorNames as readonly string[]).includes(name)) continue;
    if (name === 'reservoir') {
      mergeReservoirs(t.data as Int32Array, states.map((s) => s.tensors.reservoir.data as Int32Array), base?.tensors.reservoir.data as Int32Array | undefined);
      continue;
    }
    const out = t.data as Float32Array | Float64Array;
    out.fill(0);
    const additive = name.endsWith('_sums');
    for (const [i, s] of states.entries()) {
      const source = s.tensors[name].data as Float32Array | Float64Array;
      const weight = additive ? 1 : trained > 0 ? rows[i] / trained : 1 / states.length;
      for (let j = 0; j < out.length; j++) out[j] += weight * source[j];
    }
  }
  const step = Math.max(...states.map((s) => (s.tensors.counters.data as Float64Array)[counter.step]));
  (merged.tensors.counters.data as Float64Array).set([step, trained + states.length * baseRows]);
  merged.scalars.examples_seen = states.reduce((n, s) => n + Number(s.scalars.examples_seen), 0);
  merged.scalars.batches_seen = states.reduce((n, s) => n + Number(s.scalars.batches_seen), 0);
  merged.scalars.passes = Math.max(...states.map((s) => Number(s.scalars.passes ?? 0)));
  if (Number(merged.scalars.passes) > 0) {
    const topics = stateTopics(merged);
    const npmi = mean(reservoirNpmi(merged, topics));
    merged.scalars.npmi = Number.isFinite(npmi) ? npmi : null;
    merged.scalars.tu = topicUniqueness(topics);
  }
  return merged;
}

function mergeRound(base: NtmState, states: NtmState[], into?: NtmState): NtmState {
  const merged = mergeSince(states, base, into);
  const copies = states.length - 1;
  removeExtraBaseCounts(merged, base, copies, ['epoch_sums', 'last_epoch_sums']);
  (merged.tensors.counters.data as Float64Array)[counter.rows] -= copies * (base.tensors.counters.data as Float64Array)[counter.rows];
  return merged;
}

export const ntm: Algorithm<NtmSchema, NtmModel> & {
  /** Loss metrics of the evaluator's sums (total_loss, perplexity, reconstruction_loss, kl_divergence). */
  lossMetrics: typeof lossMetrics;
  createEvaluator(model: NtmModel): Evaluator & { npmiPerTopic(): number[] };
} = guardStates({
  name: 'ntm',
  hyperparameters: ntmSchema,
  labelSize: 0,
  // Word counts: readers refuse a negative or huge one with its file and line (the kernel checks again).
  featureRange: { min: 0, max: maxWordCount },
  // A test channel of empty documents failed evaluation after the whole run.
  zeroRowsSayNothing: true,

  createState(hp, schema) {
    encoderWidths(hp);
    return createNtmState(hp, schema);
  },

  update: (state, batch, backend) => countedUpdate(state, batch, async () => {
    if (batch.kind === 'sparse' && batch.words && !state.tensors.bucket_words) {
      throw new RangeError('the state was trained on the columns of a bag of words (a vocabulary); raw text (--format text) would be ' +
        'hashed into unrelated buckets. Give this state bags of words, or train a new one on text');
    }
    await runKernel(backend, 'ntmUpdate', { settings: stateSettings(state).settings, state: kernelState(state), batch, metrics: state.tensors.epoch_sums.data as Float64Array });
    if (state.tensors.bucket_words && batch.kind === 'sparse' && batch.words) await updateBucketSketch(state.tensors, batch);
  }),

  merge: (states) => mergeSince(states, undefined),
  mergeRound,
  checkTrainingData,
  endPass,
  beginRun: (state) => { (state.tensors.epoch_sums.data as Float64Array).fill(0); },
  readBatchRows: (hp, requested) => requested ?? hp.mini_batch_size,
  finalize,
  loadModel(data, backend) {
    // (A weight that is not finite, which gave NaN topic weights written as nulls, is refused by guardStates.)
    parseHyperparameters('ntm', ntmSchema, data.hyperparameters);
    return new NtmModel(data, backend);
  },
  createEvaluator,
  objective: { metric: 'total_loss', minimize: true },
  trainingObjective: { metric: 'total_loss', minimize: true },
  takesVocabulary: true,
  progressiveMetrics: trainingMetrics,
  lossMetrics,
});

export type { Hp as NtmHp };
