// Hierarchical grouping (Uijlings et al. 2013, algorithm 1): start from the segments, repeatedly
// merge the two most similar neighbouring regions into one, until one region covers the image.
// Every region ever formed is a proposal; the order of creation is the hierarchy the ranking
// uses. The most similar pair comes from a max-heap of neighbour pairs; pairs that involve a
// region already merged away are skipped when they surface (lazy deletion).

import { mergeRegions, type Region } from "./region-features.js";

/**
 * All regions in creation order: the initial ones, then one per merge (the last covers the whole
 * connected image). `pairs` holds the initial neighbours (a, b) flattened.
 */
export function hierarchicalGrouping(initial: readonly Region[], pairs: Int32Array, similarity: (a: Region, b: Region) => number): Region[] {
  const regions: Region[] = initial.slice();
  const alive: boolean[] = regions.map(() => true);
  const neighbours: Set<number>[] = regions.map(() => new Set<number>());
  const heap = new PairHeap();
  for (let i = 0; i < pairs.length; i += 2) {
    const a = pairs[i], b = pairs[i + 1];
    neighbours[a].add(b);
    neighbours[b].add(a);
    heap.push(similarity(regions[a], regions[b]), a, b);
  }
  while (heap.length > 0) {
    const [a, b] = heap.pop();
    if (!alive[a] || !alive[b]) continue;
    const t = regions.length;
    regions.push(mergeRegions(regions[a], regions[b]));
    alive[a] = alive[b] = false;
    alive.push(true);
    const around = new Set<number>();
    for (const n of neighbours[a]) if (n !== b) around.add(n);
    for (const n of neighbours[b]) if (n !== a) around.add(n);
    neighbours[a].clear();
    neighbours[b].clear();
    neighbours.push(around);
    for (const n of around) {
      neighbours[n].delete(a);
      neighbours[n].delete(b);
      neighbours[n].add(t);
      heap.push(similarity(regions[t], regions[n]), t, n);
    }
  }
  return regions;
}

/** A binary max-heap of (similarity, a, b); ties pop the earlier-pushed pair first. */
class PairHeap {
  private sim: number[] = [];
  private a: number[] = [];
  private b: number[] = [];
  private seq: number[] = [];
  private pushed = 0;

  get length(): number {
    return this.sim.length;
  }

  private before(i: number, j: number): boolean {
    return this.sim[i] > this.sim[j] || (this.sim[i] === this.sim[j] && this.seq[i] < this.seq[j]);
  }

  private swap(i: number, j: number): void {
    const { sim, a, b, seq } = this;
    let t = sim[i]; sim[i] = sim[j]; sim[j] = t;
    t = a[i]; a[i] = a[j]; a[j] = t;
    t = b[i]; b[i] = b[j]; b[j] = t;
    t = seq[i]; seq[i] = seq[j]; seq[j] = t;
  }

  push(sim: number, a: number, b: number): void {
    this.sim.push(sim);
    this.a.push(a);
    this.b.push(b);
    this.seq.push(this.pushed++);
    let i = this.sim.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.a[0], this.b[0]];
    const last = this.sim.length - 1;
    this.swap(0, last);
    this.sim.pop();
    this.a.pop();
    this.b.pop();
    this.seq.pop();
    let i = 0;
    const n = this.sim.length;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let best = i;
      if (l < n && this.before(l, best)) best = l;
      if (r < n && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }
}
