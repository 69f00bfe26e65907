// Row accumulation that gives the same bits on every run and every backend: out[index[i]] += src[i]
// with the contributions to each row added in ascending position i, which is cpu's order (and
// torch's CPU embedding backward's). cpu and native's indexAdd already add in that order. A backend
// whose adds are atomic (`unorderedAdds`: cuda) would sum repeated indices in whatever order its
// threads arrive, so there the positions go in rounds: round r holds every row's r-th occurrence,
// all rows distinct, so no element is touched twice in one call and the rounds run in order.

import type { View } from "../backend/backend.js";
import type { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { empty } from "./util.js";

/**
 * out [rows, ...] += src [n, ...] at the rows index [n] (int32, values already checked) names, in
 * position order. Writes the kernels directly (not recorded). `rounds` forces the rounds path
 * (tests check it against the plain one on cpu).
 */
export function indexAddRowsInOrder(out: Tensor, index: Tensor, src: Tensor, opts: { rounds?: boolean } = {}): void {
  const b = out.backend;
  const n = index.numel();
  if (n === 0) return;
  if (!b.unorderedAdds && !opts.rounds) {
    b.indexAdd(out.raw(), 0, index.raw(), src.raw());
    return;
  }
  const values = index.dataSync();
  // rank[i]: how many earlier positions name the same row (counting sort by rank, stable in i).
  const seen = new Map<number, number>();
  const rank = new Int32Array(n);
  let rounds = 0;
  for (let i = 0; i < n; i++) {
    const r = seen.get(values[i]) ?? 0;
    seen.set(values[i], r + 1);
    rank[i] = r;
    if (r + 1 > rounds) rounds = r + 1;
  }
  if (rounds === 1 && !opts.rounds) {
    b.indexAdd(out.raw(), 0, index.raw(), src.raw());
    return;
  }
  const start = new Int32Array(rounds + 1);
  for (let i = 0; i < n; i++) start[rank[i] + 1]++;
  for (let r = 0; r < rounds; r++) start[r + 1] += start[r];
  const fill = start.slice(0, rounds);
  const order = new Int32Array(n), sortedRows = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const at = fill[rank[i]]++;
    order[at] = i;
    sortedRows[at] = values[i];
  }
  const perm = tensor(order, { device: out.device });
  const rowsT = tensor(sortedRows, { device: out.device });
  const rest = src.shape.slice(1);
  const gathered = empty([n, ...rest], src.dtype, b);
  try {
    b.indexSelect(src.raw(), 0, perm.raw(), gathered.raw());
    const rowSize = rest.reduce((a, s) => a * s, 1);
    const g = gathered.raw(), ri = rowsT.raw();
    for (let r = 0; r < rounds; r++) {
      const len = start[r + 1] - start[r];
      const idxView: View = { ...ri, shape: [len], strides: [1], offset: ri.offset + start[r] };
      const srcView: View = { ...g, shape: [len, ...rest], offset: g.offset + start[r] * rowSize };
      b.indexAdd(out.raw(), 0, idxView, srcView);
    }
  } finally {
    perm.dispose();
    rowsT.dispose();
    gathered.dispose();
  }
}
