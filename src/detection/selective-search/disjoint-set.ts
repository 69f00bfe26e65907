// Union–find over pixels (union by rank, path halving), with each component's size and the
// internal difference Felzenszwalb–Huttenlocher's merge test reads: the largest edge weight of
// the component's minimum spanning tree, which is the weight of the edge that last joined it.

export class DisjointSet {
  readonly parent: Int32Array;
  readonly rank: Uint8Array;
  readonly size: Int32Array;
  /** Merge threshold of each root: internal difference + k/size. */
  readonly threshold: Float32Array;
  count: number;

  constructor(n: number, initialThreshold: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
    this.rank = new Uint8Array(n);
    this.size = new Int32Array(n).fill(1);
    this.threshold = new Float32Array(n).fill(initialThreshold);
    this.count = n;
  }

  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]];
      x = p[x];
    }
    return x;
  }

  /** Join two roots; returns the root of the union. */
  join(a: number, b: number): number {
    let root = a, child = b;
    if (this.rank[a] < this.rank[b]) [root, child] = [b, a];
    else if (this.rank[a] === this.rank[b]) this.rank[a]++;
    this.parent[child] = root;
    this.size[root] += this.size[child];
    this.count--;
    return root;
  }
}
