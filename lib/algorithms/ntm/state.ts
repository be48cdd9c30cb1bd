// A neural-topic-model state: every network weight in one flat array (laid out by
// the kernel, native ntmLayout), the optimizer's moments, batch norm's running
// moments, counters and the sums of the current and the last epoch's training
// loss. Allocated once; memory is fixed by feature_dim, num_topics and the encoder.
import { loadCoreAddon } from '../../backends/native-addon.js';
import type { NtmKernelSettings, NtmKernelState, NtmLayout } from '../../backends/kernels.js';
import { tensor } from '../../state/tensor.js';
import { allocateState } from '../state-size.js';
import type { DataSchema, State } from '../types.js';
import type { NtmHyperparameters as Hp } from './hyperparameters.js';
import { kernelSettings, momentArrays } from './settings.js';
import { createBucketSketch } from './bucket-sketch.js';

export type NtmState = State<Hp>;

/** Slots of the metric sums (native ntm::Metric). */
export const metric = { loss: 0, reconstruction: 1, kl: 2, words: 3, documents: 4 } as const;
export const metricCount = 5;

/**
 * The reservoir of training documents that topic coherence is measured on when there is no
 * validation or test channel: 4,096 documents, each its first 64 distinct words (1 MiB).
 */
export const reservoirDocuments = 4096;
export const reservoirWidth = 64;

/** Slots of the counters (native ntm::Counter). */
export const counter = { step: 0, rows: 1 } as const;

const settingsCache = new WeakMap<object, { settings: NtmKernelSettings; layout: NtmLayout }>();

/** The kernel's settings and the parameter layout of a state or model with these hyperparameters. */
export function settingsOf(hp: Hp, vocabulary: number, key?: object): { settings: NtmKernelSettings; layout: NtmLayout } {
  const cached = key && settingsCache.get(key);
  if (cached) return cached;
  const settings = kernelSettings(hp, vocabulary);
  const value = { settings, layout: loadCoreAddon().ntmLayout(settings) };
  if (key) settingsCache.set(key, value);
  return value;
}

/**
 * Glorot-uniform weights (U(±√(6 / (in + out))), Glorot & Bengio 2010) for every product, zero
 * biases, batch norm's γ = 1 and running variance 1. Native and seeded per block, so a state is
 * a function of the hyperparameters alone.
 */
function initialise(parameters: Float32Array, running: Float32Array, settings: NtmKernelSettings, layout: NtmLayout, seed: number): void {
  const addon = loadCoreAddon();
  let block = 0;
  const glorot = (offset: number, inputs: number, outputs: number) => {
    addon.linearLearnerInitialize(parameters.subarray(offset, offset + inputs * outputs), false, Math.sqrt(6 / (inputs + outputs)), seed * 64 + block++);
  };
  let inputs = settings.vocabulary;
  settings.hidden.forEach((width, i) => {
    glorot(layout.weight[i], inputs, width);
    if (settings.batchNorm) {
      parameters.fill(1, layout.gamma[i], layout.gamma[i] + width);
      running.fill(1, layout.runningVar[i], layout.runningVar[i] + width);
    }
    inputs = width;
  });
  // Running variances start at 1 (an untrained network's evaluation leaves its products as they are).
  if (settings.posteriorBatchNorm) {
    parameters.fill(1, layout.posteriorGamma, layout.posteriorGamma + 2 * settings.topics);
    running.fill(1, layout.posteriorRunning + settings.topics, layout.posteriorRunning + 2 * settings.topics);
    running.fill(1, layout.posteriorRunning + 3 * settings.topics, layout.posteriorRunning + 4 * settings.topics);
  }
  if (settings.decoderBatchNorm) running.fill(1, layout.decoderRunning + settings.vocabulary, layout.decoderRunning + 2 * settings.vocabulary);
  glorot(layout.muWeight, inputs, settings.topics);
  glorot(layout.logVarWeight, inputs, settings.topics);
  glorot(layout.topicWord, settings.topics, settings.vocabulary);
}

export function createNtmState(hp: Hp, schema: DataSchema): NtmState {
  if (hp.feature_dim !== 'auto' && hp.feature_dim !== schema.featureDim) {
    throw new RangeError(`ntm: the data has ${schema.featureDim} features (words) but feature_dim is ${hp.feature_dim}`);
  }
  if (schema.featureDim > 1_000_000) {
    throw new RangeError(`ntm: the data has ${schema.featureDim.toLocaleString('en-US')} features; feature_dim is at most 1,000,000 (SageMaker's bound)`);
  }
  if (hp.num_topics > schema.featureDim) {
    throw new RangeError(`ntm: num_topics ${hp.num_topics} is more than the ${schema.featureDim} words of the vocabulary (feature_dim): ` +
      'each topic is a distribution over the words, named by its most likely ones, and more topics than words cannot each have a word of their own. ' +
      'Lower num_topics, or check --feature-dim and --format');
  }
  const vocabulary = schema.vocabulary;
  if (vocabulary !== undefined && (!Array.isArray(vocabulary) || vocabulary.length !== schema.featureDim)) {
    throw new RangeError(`ntm: the vocabulary has ${Array.isArray(vocabulary) ? vocabulary.length : 0} words but the data has ${schema.featureDim} features; it must have one word per feature, in feature order`);
  }
  const { settings, layout } = settingsOf(hp, schema.featureDim);
  const moments = momentArrays(hp.optimizer);
  const tensors = allocateState('ntm', 4 * layout.parameters * (1 + moments),
    `${layout.parameters} parameters (feature_dim ${schema.featureDim}, num_topics ${hp.num_topics}, encoder ${settings.hidden.join(',')}) × ${1 + moments} arrays × 4 bytes; lower feature_dim or the encoder widths`,
    () => {
      const parameters = new Float32Array(layout.parameters);
      const running = new Float32Array(layout.running);
      initialise(parameters, running, settings, layout, hp.seed);
      const out: NtmState['tensors'] = {
        parameters: tensor(parameters), running: tensor(running), counters: tensor(new Float64Array(2)),
        epoch_sums: tensor(new Float64Array(metricCount)), last_epoch_sums: tensor(new Float64Array(metricCount)),
        reservoir: tensor(new Int32Array(reservoirDocuments * reservoirWidth).fill(-1), [reservoirDocuments, reservoirWidth]),
      };
      // Raw text hashed into buckets: the words that name each bucket (bucket-sketch.ts), 192 bytes a bucket.
      if (schema.hashedWords === true) Object.assign(out, createBucketSketch(schema.featureDim));
      if (moments >= 1) out.moment1 = tensor(new Float32Array(layout.parameters));
      if (moments >= 2) out.moment2 = tensor(new Float32Array(layout.parameters));
      return out;
    });
  return { algorithm: 'ntm', hyperparameters: hp, schema: { ...schema }, tensors, scalars: freshScalars() };
}

export function freshScalars(): NtmState['scalars'] {
  return { examples_seen: 0, batches_seen: 0, passes: 0 };
}

/** The kernel's view of a state; documents are sampled into the reservoir during the first pass only. */
export function kernelState(state: NtmState): NtmKernelState {
  const t = state.tensors;
  const f32 = (name: string) => t[name]?.data as Float32Array | undefined;
  const sampling = Number(state.scalars.passes ?? 0) === 0;
  return {
    parameters: f32('parameters')!, moment1: f32('moment1'), moment2: f32('moment2'), running: f32('running'),
    counters: t.counters.data as Float64Array,
    ...(sampling ? { reservoir: t.reservoir.data as Int32Array, reservoirWidth } : {}),
  };
}
