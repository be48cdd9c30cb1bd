// Distinct points among the weighted centres a k-means state holds. While the state holds fewer
// than K centres, each sits exactly on a distinct point seen and every point seen equals one of
// them (native/algorithms/kmeans/kmeans.h Update), so their distinct count is the number of
// distinct rows seen: what k is checked against, in fixed memory.

/** Each point's group of identical points (ids in order of first appearance) and the number of groups. */
export function distinctGroups(points: Float32Array, count: number, dim: number): { group: Int32Array; groups: number } {
  // Coordinates compare as numbers (−0 equals +0, as their distance is 0).
  const difference = (a: number, b: number) => {
    for (let j = 0; j < dim; j++) {
      const d = points[a * dim + j] - points[b * dim + j];
      if (d !== 0) return d;
    }
    return 0;
  };
  // Lexicographic order, ties by index: the first of each run of equal points is its earliest.
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => difference(a, b) || a - b);
  const earliest = new Int32Array(count);
  order.forEach((point, i) => {
    earliest[point] = i > 0 && difference(order[i - 1], point) === 0 ? earliest[order[i - 1]] : point;
  });
  const group = new Int32Array(count);
  let groups = 0;
  for (let i = 0; i < count; i++) group[i] = earliest[i] === i ? groups++ : group[earliest[i]];
  return { group, groups };
}

/** Identical weighted points pooled into one carrying their summed weight, in order of first appearance. */
export function poolIdentical(points: Float32Array, weights: Float64Array, count: number, dim: number):
  { points: Float32Array; weights: Float64Array; count: number } {
  const { group, groups } = distinctGroups(points, count, dim);
  const pooled = { points: new Float32Array(groups * dim), weights: new Float64Array(groups), count: groups };
  for (let i = 0; i < count; i++) {
    pooled.points.set(points.subarray(i * dim, (i + 1) * dim), group[i] * dim);   // identical: any copy will do
    pooled.weights[group[i]] += weights[i];
  }
  return pooled;
}
