// What every merge of states checks first: that each state is of the algorithm merging it (a PCA
// state given to the factorization machines' merge failed deep inside with "Cannot read properties
// of undefined"), and, where the algorithm asks, that every state was trained with the same
// hyperparameters but the trainer's own (epochs, early stopping). Shards of the factorization
// machines trained with another seed (another initialisation) merged into a model at accuracy 0.73
// from shards at 0.99 each, without a word.
import type { State } from './types.js';
import { withArticle } from './article.js';

/** Hyperparameters of the trainer, which shards may differ in: they say how long to train, not what. */
const trainerHyperparameters = new Set(['epochs', 'early_stopping_patience', 'early_stopping_tolerance']);

/** Throws a RangeError naming the first state that is not of `algorithm`. */
export function requireAlgorithm(where: string, algorithm: string, states: readonly State<unknown>[]): void {
  for (const [i, s] of states.entries()) {
    if (s?.algorithm !== algorithm) {
      throw new RangeError(`${where}: state ${i} is ${s?.algorithm === undefined ? 'not a state' : `${withArticle(s.algorithm)} state`}, and only ${algorithm} states merge here`);
    }
  }
}

/**
 * Throws a RangeError naming the first hyperparameter in which a state differs from state 0 (the
 * trainer's aside, unless `trainerAside` is false: merges that compare every one of them).
 */
export function requireSameHyperparameters(where: string, states: readonly State<unknown>[], trainerAside = true): void {
  const first = states[0].hyperparameters as Record<string, unknown>;
  for (const [i, s] of states.entries()) {
    const hp = s.hyperparameters as Record<string, unknown>;
    const names = new Set([...Object.keys(first), ...Object.keys(hp)]);
    for (const name of names) {
      if ((trainerAside && trainerHyperparameters.has(name)) || JSON.stringify(hp[name]) === JSON.stringify(first[name])) continue;
      throw new RangeError(`${where}: state ${i} was trained with ${name}=${JSON.stringify(hp[name])}, state 0 with ${name}=${JSON.stringify(first[name])}: ` +
        `shards merge only when trained with the same hyperparameters${trainerAside ? ' (epochs aside)' : ''}`);
    }
  }
}
