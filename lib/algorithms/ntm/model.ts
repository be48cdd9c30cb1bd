// A finalized neural topic model: the encoder (for topic_weights of new
// documents) and the topic-word matrix under plain names, so numpy reads topics
// from the file directly (`topic_word` [num_topics, feature_dim], row k ranks
// topic k's words; `background` [feature_dim] the corpus-wide word bias that is
// not part of any topic), and the vocabulary when one was given.
import type { Backend } from '../../backends/registry.js';
import { runKernel } from '../../backends/run-kernel.js';
import type { NtmKernelSettings, NtmLayout } from '../../backends/kernels.js';
import { requireRowBatch, type Batch } from '../../data/batch.js';
import { tensor, type Tensor } from '../../state/tensor.js';
import { saveModel } from '../persistence.js';
import type { Model, ModelData, PredictOptions } from '../types.js';
import type { NtmHyperparameters as Hp } from './hyperparameters.js';
import { settingsOf } from './state.js';
import { rejectUnknownPredictOptions } from '../predict-one.js';

/** The largest word count a document may hold (featureRange of the algorithm: readers refuse more, by file and line). */
export const maxWordCount = 1e9;

/** One topic: its word ids and words (ids as strings without a vocabulary), best first, with their weights. */
export interface Topic {
  topic: number;
  ids: number[];
  words: string[];
  weights: number[];
}

/** Names of the model's tensors for a flat parameter layout: [name, offset, shape]. */
export function namedBlocks(settings: NtmKernelSettings, layout: NtmLayout): [string, number, number[]][] {
  const blocks: [string, number, number[]][] = [];
  let inputs = settings.vocabulary;
  settings.hidden.forEach((width, i) => {
    // Layer 0 is feature-major [vocabulary, width] (a document touches its words' rows); later ones [width, inputs].
    blocks.push([`encoder_${i}_weight`, layout.weight[i], i === 0 ? [inputs, width] : [width, inputs]], [`encoder_${i}_bias`, layout.bias[i], [width]]);
    if (settings.batchNorm) blocks.push([`encoder_${i}_gamma`, layout.gamma[i], [width]], [`encoder_${i}_beta`, layout.beta[i], [width]]);
    inputs = width;
  });
  blocks.push(['mu_weight', layout.muWeight, [settings.topics, inputs]], ['mu_bias', layout.muBias, [settings.topics]],
    ['log_var_weight', layout.logVarWeight, [settings.topics, inputs]], ['log_var_bias', layout.logVarBias, [settings.topics]],
    ...(settings.posteriorBatchNorm ? [['posterior_gamma', layout.posteriorGamma, [2, settings.topics]], ['posterior_beta', layout.posteriorBeta, [2, settings.topics]]] as [string, number, number[]][] : []),
    ['topic_word', layout.topicWord, [settings.topics, settings.vocabulary]], ['background', layout.background, [settings.vocabulary]]);
  return blocks;
}

/** Batch norm's running moments as named blocks of the running array. */
export function runningBlocks(settings: NtmKernelSettings, layout: NtmLayout): [string, number, number[]][] {
  const blocks = !settings.batchNorm ? [] : settings.hidden.flatMap((width, i): [string, number, number[]][] => [
    [`encoder_${i}_running_mean`, layout.runningMean[i], [width]], [`encoder_${i}_running_var`, layout.runningVar[i], [width]]]);
  // [μ mean, μ variance, log σ² mean, log σ² variance] × topics; [mean, variance] × vocabulary.
  if (settings.posteriorBatchNorm) blocks.push(['posterior_running', layout.posteriorRunning, [4, settings.topics]]);
  if (settings.decoderBatchNorm) blocks.push(['decoder_running', layout.decoderRunning, [2, settings.vocabulary]]);
  return blocks;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** UTF-8 words joined by newlines, as a U8 tensor (numpy: bytes(a).decode().split('\n')). */
export function vocabularyTensor(words: readonly string[]): Tensor {
  return tensor(new TextEncoder().encode(words.join('\n')));
}

export class NtmModel implements Model {
  readonly algorithm = 'ntm';
  readonly vectorOutputs = ['topic_weights'] as const;
  readonly hyperparameters: Hp;
  readonly featureDim: number;
  readonly numTopics: number;
  readonly settings: NtmKernelSettings;
  /** The kernel's flat arrays, assembled from the named tensors. */
  readonly parameters: Float32Array;
  readonly running: Float32Array;
  /** One word per feature, when the model was trained with a vocabulary (or names of hashed buckets). */
  readonly vocabulary: string[] | undefined;

  constructor(private readonly modelData: ModelData, readonly backend: Backend) {
    this.hyperparameters = modelData.hyperparameters as unknown as Hp;
    this.featureDim = modelData.schema.featureDim;
    this.numTopics = this.hyperparameters.num_topics;
    const { settings, layout } = settingsOf(this.hyperparameters, this.featureDim);
    this.settings = settings;
    this.parameters = new Float32Array(layout.parameters);
    this.running = new Float32Array(layout.running);
    const fill = (target: Float32Array, blocks: [string, number, number[]][]) => {
      for (const [name, offset, shape] of blocks) {
        const t = modelData.tensors[name];
        if (!t || !(t.data instanceof Float32Array) || t.data.length !== size(shape)) throw new RangeError(`ntm model: expected Float32 ${name} [${shape.join(', ')}]`);
        target.set(t.data, offset);
      }
    };
    fill(this.parameters, namedBlocks(settings, layout));
    fill(this.running, runningBlocks(settings, layout));
    const words = modelData.tensors.vocabulary;
    this.vocabulary = words ? new TextDecoder().decode(words.data as Uint8Array).split('\n') : undefined;
    if (this.vocabulary && this.vocabulary.length !== this.featureDim) throw new RangeError(`ntm model: the vocabulary has ${this.vocabulary.length} words, expected ${this.featureDim}`);
  }

  /** [num_topics × feature_dim], row k the topic's word weights (a view into the model). */
  get topicWord(): Float32Array { return this.modelData.tensors.topic_word.data as Float32Array; }

  /** Each topic's `top` words by weight in topic_word (ties: lower id first). */
  topics(top = 10): Topic[] {
    // -1, 1.5 or NaN gave every word, and 0 none: the CLI's --top refuses them, and so does this.
    if (!Number.isSafeInteger(top) || top < 1) throw new RangeError(`ntm topics: top must be an integer ≥ 1 (words a topic), got ${String(top)}`);
    const V = this.featureDim;
    // A hashed bucket no training word fell into has no name and no evidence behind its weights: not a topic word.
    const named = this.modelData.schema.hashedWords === true && this.vocabulary ? (i: number) => this.vocabulary![i] !== '' : undefined;
    const n = Math.min(top, named ? this.vocabulary!.filter((w) => w !== '').length : V);
    return Array.from({ length: this.numTopics }, (_, k) => {
      const row = this.topicWord.subarray(k * V, (k + 1) * V);
      const ids = topWords(row, n, named);
      return { topic: k, ids, words: ids.map((i) => this.vocabulary?.[i] ?? String(i)), weights: ids.map((i) => row[i]) };
    });
  }

  /** Raw text into a model of vocabulary columns would land in unrelated columns: refused. */
  checkInput(batch: Batch): void {
    if (batch.kind === 'sparse' && batch.words && this.modelData.schema.hashedWords !== true) {
      throw new RangeError('ntm: this model\'s features are the words of a vocabulary; raw text (--format text) would be hashed into ' +
        'unrelated columns. Give it bags of words in its vocabulary\'s columns');
    }
  }

  checkPredictOptions(options: PredictOptions): void {
    rejectUnknownPredictOptions('ntm predict', options);
    if (options.threshold !== undefined) throw new RangeError('ntm predict: threshold applies to binary classifiers only');
    if (options.distances) throw new RangeError('ntm predict: distances are for clustering models');
  }

  /** topic_weights [rows × num_topics]: each document's distribution over topics, softmax(μ) of the encoder. */
  async predict(batch: Batch, options: PredictOptions = {}): Promise<Record<string, Float32Array>> {
    requireRowBatch('ntm predict', batch);
    this.checkPredictOptions(options);
    this.checkInput(batch);
    const out = new Float32Array(batch.rows * this.numTopics);
    try {
      await runKernel(this.backend, 'ntmTopicWeights', { settings: this.settings, state: { parameters: this.parameters, running: this.running }, batch, out });
    } catch (error) {
      throw new RangeError(`ntm predict: ${(error as Error).message}`);
    }
    return { topic_weights: out };
  }

  predictOne(features: Float32Array): Record<string, Float32Array> {
    if (features.length !== this.featureDim) throw new RangeError(`ntm predictOne: got ${features.length} features, expected ${this.featureDim}`);
    // The bound training and predict read counts in (featureRange): a count beyond it is not a word count.
    for (const x of features) if (!(x >= 0 && x <= maxWordCount)) throw new RangeError(`ntm predictOne: word counts must be in [0, ${maxWordCount}], got ${x}`);
    return { topic_weights: encodeOne(this, features) };
  }

  data(): ModelData { return this.modelData; }

  save(path: string): Promise<void> { return saveModel(path, this); }
}

/** Indices of the n largest entries of row (those `keep` accepts), largest first (ties: lower index first). */
export function topWords(row: Float32Array, n: number, keep?: (i: number) => boolean): number[] {
  const best: number[] = [];
  for (let i = 0; i < row.length; i++) {
    if (keep && !keep(i)) continue;
    const v = row[i];
    if (best.length === n && !(v > row[best[n - 1]])) continue;
    let at = best.length === n ? n - 1 : best.length;
    while (at > 0 && row[best[at - 1]] < v) {
      best[at] = best[at - 1];
      at--;
    }
    best[at] = i;
  }
  return best;
}

const activations: Record<number, (x: number) => number> = {
  0: (x) => 1 / (1 + Math.exp(-x)),
  1: Math.tanh,
  2: (x) => (x > 0 ? x : 0),
  3: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
};

/** The encoder for one document, in float64 (serving: one row, cost ∝ its words × width). */
function encodeOne(model: NtmModel, x: Float32Array): Float32Array {
  const { settings } = model;
  const { layout } = settingsOf(model.hyperparameters, model.featureDim);
  const p = model.parameters;
  const f = activations[settings.activation];
  let h: Float64Array = new Float64Array(0);
  let inputs = settings.vocabulary;
  settings.hidden.forEach((width, i) => {
    const out = Float64Array.from(p.subarray(layout.bias[i], layout.bias[i] + width));
    const w = layout.weight[i];
    if (i === 0) {
      for (let v = 0; v < inputs; v++) if (x[v] !== 0) for (let o = 0; o < width; o++) out[o] += x[v] * p[w + v * width + o];
    } else {
      for (let o = 0; o < width; o++) for (let j = 0; j < inputs; j++) out[o] += h[j] * p[w + o * inputs + j];
    }
    if (settings.batchNorm) {
      for (let o = 0; o < width; o++) {
        const normalized = (out[o] - model.running[layout.runningMean[i] + o]) / Math.sqrt(model.running[layout.runningVar[i] + o] + 1e-5);
        out[o] = p[layout.gamma[i] + o] * normalized + p[layout.beta[i] + o];
      }
    }
    for (let o = 0; o < width; o++) out[o] = f(out[o]);
    h = out;
    inputs = width;
  });
  const mu = new Float64Array(settings.topics);
  for (let k = 0; k < settings.topics; k++) {
    mu[k] = p[layout.muBias + k];
    for (let j = 0; j < inputs; j++) mu[k] += h[j] * p[layout.muWeight + k * inputs + j];
    if (settings.posteriorBatchNorm) {
      const r = layout.posteriorRunning;
      mu[k] = p[layout.posteriorGamma + k] * (mu[k] - model.running[r + k]) / Math.sqrt(model.running[r + settings.topics + k] + 1e-5) + p[layout.posteriorBeta + k];
    }
  }
  const top = Math.max(...mu);
  let sum = 0;
  for (let k = 0; k < settings.topics; k++) sum += (mu[k] = Math.exp(mu[k] - top));
  return Float32Array.from(mu, (v) => v / sum);
}
