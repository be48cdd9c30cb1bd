// What a merge round (Algorithm.mergeRound) must undo after adding the
// workers' states: each of the N workers continued from a copy of the
// round's base, so a merge that adds their counts holds base's counts N
// times. Taking N − 1 copies away leaves base plus every worker's increment:
// each record counted once. Rounds come often, so a round's merge may write
// into a state it was given rather than allocate one (overwriteState).
import { loadCoreAddon } from '../backends/native-addon.js';
import type { State } from './types.js';
import type { TensorArray } from '../state/tensor.js';

/**
 * `source`'s tensors copied into `target`'s buffers (same algorithm and shapes), scalars and
 * schema replaced; returns target. Tensors for which `rewritten` is true are left as they are: the
 * caller writes every element of them next (a round's merge copies the rest of a state of several
 * MB, and copying what it then overwrites was a fifth of the merge). Throws when a tensor is
 * missing or of another size.
 */
export function overwriteState<S extends State<unknown>>(target: S, source: S, rewritten: (name: string) => boolean = () => false): S {
  for (const [name, tensor] of Object.entries(source.tensors)) {
    const into = target.tensors[name];
    if (!into || into.data.length !== tensor.data.length) throw new RangeError(`merge round: the state to write into has no tensor ${name} of ${tensor.data.length} values`);
    if (!rewritten(name)) (into.data as TensorArray & { set(a: ArrayLike<number>): void }).set(tensor.data as never);
  }
  target.scalars = structuredClone(source.scalars);
  target.schema = { ...source.schema };
  return target;
}

/**
 * out[k] += scale × source[k] over out's length, in place (a merge's adds and subtractions: x + (−c)y
 * is x − cy exactly). Native: a merge round runs it over every tensor of every worker's state while
 * all the workers wait, and the JavaScript loop (at memory speed at best) was most of such a round
 * (7.5 ms of a 32-model linear-learner round on 5,991 features). The bytes are the loop's.
 */
export function addScaled(out: Float64Array | Float32Array, source: Float64Array | Float32Array, scale = 1): void {
  loadCoreAddon().addScaled(out, source, scale);
}

/**
 * Subtracts `copies` × base's value from each named tensor (element by element) and scalar of
 * `merged`, in place. Tensors or scalars a state lacks are skipped.
 */
export function removeExtraBaseCounts(merged: State<unknown>, base: State<unknown>, copies: number,
  tensorNames: Iterable<string>, scalarNames: Iterable<string> = ['examples_seen', 'batches_seen']): void {
  if (copies === 0) return;
  for (const name of tensorNames) {
    const out = merged.tensors[name]?.data as Float64Array | Float32Array | undefined;
    const from = base.tensors[name]?.data as Float64Array | Float32Array | undefined;
    if (!out || !from) continue;
    addScaled(out, from, -copies);
  }
  for (const name of scalarNames) {
    if (typeof merged.scalars[name] === 'number') merged.scalars[name] = Number(merged.scalars[name]) - copies * Number(base.scalars[name] ?? 0);
  }
}
