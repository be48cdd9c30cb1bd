// Exact ROC AUC (ties count half), for scoring every peer the same way.
export function exactAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let negatives = 0;
  let positives = 0;
  let right = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    let tiedPositives = 0;
    let tiedNegatives = 0;
    while (j < order.length && scores[order[j]] === scores[order[i]]) {
      if (labels[order[j]] === 1) tiedPositives++; else tiedNegatives++;
      j++;
    }
    right += tiedPositives * (negatives + 0.5 * tiedNegatives);
    negatives += tiedNegatives;
    positives += tiedPositives;
    i = j;
  }
  return right / (positives * negatives);
}
