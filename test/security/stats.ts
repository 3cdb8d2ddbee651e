/**
 * The statistics the timing tests use. AUC (Mann–Whitney U / n·m): the chance that a sample of `a` is
 * larger than one of `b`; 0.5 when their distributions are the same. Under that null hypothesis its
 * standard deviation is sqrt((n+m+1) / (12·n·m)): 0.0118 for 1,200 samples each, so an AUC above
 * 0.55 then is a 4.2-sigma event (fewer than 2 runs in 100,000): a failure means a real difference.
 */
export function auc(a: readonly number[], b: readonly number[]): number {
  const all = [...a.map((v) => ({ v, fromA: true })), ...b.map((v) => ({ v, fromA: false }))].sort((x, y) => x.v - y.v);
  let rankSumA = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1; // ties share their mean rank
    for (let k = i; k <= j; k++) if (all[k]!.fromA) rankSumA += rank;
    i = j + 1;
  }
  return (rankSumA - (a.length * (a.length + 1)) / 2) / (a.length * b.length);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[sorted.length >> 1]!;
}

/** Fisher–Yates (a sort by a random comparator is not a uniform shuffle). */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
