// What DeepAR is trained on but cannot model well, said after the first pass. DeepAR divides each
// window by ν = 1 + its mean |value| (Salinas et al. 2020, §3.3): a series far from 0 that moves
// little becomes nearly constant, ≈ 1, and the network's outputs are not that exact. AirPassengers
// + 1e9 (values 1e9 + 104 … 622): every forecast fell about 9 million below every value (0.9% of
// the level, thousands of times the series' swing), while ND, a ratio to the level, read 0.009.

import { reservoirCounter, type DeeparState } from './state.js';

/** A window moving by less than this share of its mean |value| is flat to the network. */
const relativeSpread = 1e-3;

interface FlatWindows { flat: number; filled: number; level: number; spread: number }

/** Reservoir windows whose observed values vary, but by less than relativeSpread of their mean |value|; the widest of them. */
function flatWindows(state: DeeparState): FlatWindows {
  const targets = state.tensors.reservoir_targets.data as Float32Array;
  const filled = (state.tensors.reservoir_counters.data as Float64Array)[reservoirCounter.filled];
  const width = targets.length / state.hyperparameters.window_reservoir_size;
  const found: FlatWindows = { flat: 0, filled, level: 0, spread: 0 };
  for (let w = 0; w < filled; w++) {
    let min = Infinity, max = -Infinity, sum = 0, n = 0;
    for (let i = w * width; i < (w + 1) * width; i++) {
      const v = targets[i];
      if (Number.isNaN(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += Math.abs(v);
      n++;
    }
    const level = n > 0 ? sum / n : 0;
    // A constant window (a stuck sensor, zero demand) is forecast as constant: not flagged.
    if (max > min && max - min < relativeSpread * level) {
      found.flat++;
      if (max - min > 2 * found.spread) Object.assign(found, { level: (max + min) / 2, spread: (max - min) / 2 });
    }
  }
  return found;
}

/**
 * A context_length beyond every training series: each window's context is mostly padding before
 * the series' start, while each optimizer step's time and memory grow with it (helper 86: two
 * series of 40 and 30 values took 16 s and 383 MB at context_length=1000, 134 s and 3.0 GB at 10000).
 */
function contextWarnings(state: DeeparState): string[] {
  const longest = Number(state.scalars.longest_series ?? 0);
  const context = state.hyperparameters.context_length;
  if (!(longest > 0) || context <= longest) return [];
  return [`deepar: context_length ${context.toLocaleString('en-US')} is longer than every training series (the longest has ` +
    `${longest.toLocaleString('en-US')} values): each window's context is mostly padding before its series' start, while the time and memory ` +
    'of every optimizer step grow with context_length (two series of 40 and 30 values: 16 s and 383 MB an epoch at context_length=1000, ' +
    `134 s and 3.0 GB at 10000). SageMaker suggests a context_length about prediction_length (${state.hyperparameters.prediction_length}); the lags reach further back`];
}

/** The warnings for a state's training data: a context beyond every series; windows that barely vary. */
export function deeparDataWarnings(state: DeeparState): string[] {
  return [...contextWarnings(state), ...flatWarnings(state)];
}

function flatWarnings(state: DeeparState): string[] {
  const { flat, filled, level, spread } = flatWindows(state);
  if (flat === 0) return [];
  // Past 2^24 float32 holds no longer every whole number: the series lost digits when it was read.
  const step = level >= 2 ** 24 ? 2 ** (Math.floor(Math.log2(level)) - 23) : 0;
  const digits = step > 0 ? ` Values near ${level.toExponential(1)} are also held in float32 only to steps of ${step}.` : '';
  return [`deepar: ${flat.toLocaleString('en-US')} of the ${filled.toLocaleString('en-US')} training windows sampled vary by less than ` +
    `${relativeSpread} of their level (the widest: ${level.toExponential(3)} ± ${spread.toPrecision(2)}): DeepAR divides each series by its ` +
    'mean, so to the network such a series is a constant near 1, and its forecasts miss by up to about 1% of the level, far more than the ' +
    'series moves (AirPassengers + 1e9: every forecast about 9 million below every value, while ND read 0.009). Subtract a baseline from ' +
    `each series (its first value, or its mean) before training, and add it back to the forecasts.${digits}`];
}
