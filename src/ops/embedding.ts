// embedding (torch.nn.functional.embedding): rows of a weight [numEmbeddings, dim] looked up by
// int32 indices of any shape; the output is indices.shape + [dim]. The backward adds each
// position's gradient into a zero [numEmbeddings, dim] in position order (ordered-index-add.ts), so
// it gives the same bits on every run and backend, and equals torch's CPU result where torch adds
// in the same order. maxNorm renormalises the looked-up rows of the weight in place first, as
// torch's embedding_renorm_.

import { formatShape } from "../core/shape.js";
import { checkOptions, describe, optionNames } from "../core/options.js";
import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { record } from "../autograd/node.js";
import { noGrad } from "../autograd/grad-mode.js";
import { assertFloating, assertTensor, commonBackend, empty } from "./util.js";
import { mul, mul_ } from "./elementwise.js";
import { narrow, reshape } from "./view.js";
import { indexExtremes } from "./indexing.js";
import { hostCheck, hostDepends } from "../graph/host-check.js";
import { indexAddRowsInOrder } from "./ordered-index-add.js";
import { traceable } from "../graph/recorder.js";

export interface EmbeddingOptions {
  /** A row (negative counts from the end) whose output is what the weight holds but that gets no gradient. */
  paddingIdx?: number | null;
  /** Rescale each looked-up row whose normType-norm exceeds maxNorm to that norm, in place, before the lookup. */
  maxNorm?: number | null;
  /** The p of the maxNorm norm (default 2; Infinity for the largest absolute value). */
  normType?: number;
  /** Divide each position's gradient by how often its index occurs in this batch. */
  scaleGradByFreq?: boolean;
}

export const EMBEDDING_OPTIONS = optionNames<EmbeddingOptions>({ paddingIdx: 1, maxNorm: 1, normType: 1, scaleGradByFreq: 1 });
/** torch's option we do not take: its sparse gradients need sparse tensors. */
export const EMBEDDING_ADVICE: Readonly<Record<string, string>> = {
  sparse: "dense gradients, the only kind: nabla has no sparse tensors",
};

/** F.embedding(input, weight, opts): weight's rows at the int32 indices of input. */
export const embedding = traceable("embedding", function embedding(input: Tensor, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  return embeddingAs("embedding", input, weight, opts);
});

/** paddingIdx checked against numEmbeddings and made non-negative (null: none). */
export function resolvePaddingIdx(owner: string, paddingIdx: number | null | undefined, num: number): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  if (typeof paddingIdx !== "number" || !Number.isInteger(paddingIdx) || paddingIdx < -num || paddingIdx >= num) {
    throw new RangeError(`${owner}: paddingIdx must be an integer in [${-num}, ${num - 1}] for ${num} embeddings, got ${describe(paddingIdx)}`);
  }
  return paddingIdx < 0 ? paddingIdx + num : paddingIdx;
}

/** The options checked, with torch's defaults filled in and paddingIdx made non-negative. */
export function resolveEmbeddingOptions(owner: string, opts: EmbeddingOptions, num: number): { paddingIdx: number | null; maxNorm: number | null; normType: number; scaleGradByFreq: boolean } {
  const paddingIdx = resolvePaddingIdx(owner, opts.paddingIdx, num);
  const maxNorm = opts.maxNorm ?? null;
  const normType = opts.normType ?? 2;
  if (maxNorm !== null && (typeof maxNorm !== "number" || !(maxNorm >= 0) || maxNorm === Infinity)) {
    throw new RangeError(`${owner}: maxNorm must be a non-negative finite number, got ${describe(maxNorm)}`);
  }
  if (typeof normType !== "number" || !(normType > 0)) throw new RangeError(`${owner}: normType must be a positive number or Infinity, got ${describe(normType)}`);
  const scaleGradByFreq = opts.scaleGradByFreq ?? false;
  if (typeof scaleGradByFreq !== "boolean") throw new TypeError(`${owner}: scaleGradByFreq must be true or false, got ${describe(scaleGradByFreq)}`);
  return { paddingIdx, maxNorm, normType, scaleGradByFreq };
}

/** The embedding op with errors that start with `owner` (the layer passes its own name). */
export const embeddingAs = traceable("embeddingAs", function embeddingAs(owner: string, input: Tensor, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  checkOptions(owner, opts, EMBEDDING_OPTIONS, EMBEDDING_ADVICE);
  assertTensor(owner, input, "input");
  assertTensor(owner, weight, "weight");
  if (input.dtype !== "int32") {
    throw new TypeError(`${owner}: indices must be an int32 tensor, got ${input.dtype} (cast with .to("int32"))`);
  }
  if (weight.ndim !== 2) throw new RangeError(`${owner}: weight must be 2-D [numEmbeddings, embeddingDim], got shape ${formatShape(weight.shape)}`);
  assertFloating(owner, weight, "weight");
  const backend = commonBackend(owner, input, weight);
  const [num, dim] = weight.shape;
  const { paddingIdx: pad, maxNorm, normType: p, scaleGradByFreq: byFreq } = resolveEmbeddingOptions(owner, opts, num);

  const n = input.numel();
  const flat = reshape(input, [n]);
  // maxNorm reads every index anyway; otherwise a min/max reduction is all the range check reads.
  if (maxNorm !== null && !backend.syncReadable) throw new Error(`${owner}: maxNorm reads the indices back, which the ${backend.name} backend cannot do synchronously`);
  const values = maxNorm !== null && n > 0 ? (hostDepends(() => flat.dataSync()) as Int32Array) : null;
  checkIndices(owner, values ? extremesOf(values) : hostCheck(() => indexExtremes(flat)), num);
  if (values && maxNorm !== null) renormRows(weight, values, maxNorm, p);

  const out = empty([...input.shape, dim], weight.dtype, backend);
  const o = out.raw();
  if (n > 0) backend.indexSelect(weight.raw(), 0, flat.raw(), { ...o, shape: [n, dim], strides: [dim, 1] });
  return record("EmbeddingBackward", [weight], out, (g, [idx]) => {
    const g2 = reshape(g, [n, dim]);
    const gw = empty([num, dim], g.dtype, g.backend);
    g.backend.fill(gw.raw(), 0);
    const src = byFreq ? mul(g2, frequencyScales(idx, g.dtype)) : g2;
    indexAddRowsInOrder(gw, idx, src);
    if (src !== g2) src.dispose();
    if (g2 !== g) g2.dispose();
    // torch skips positions at paddingIdx; zeroing that row afterwards leaves the other rows alike.
    if (pad !== null) {
      const row = narrow(gw, 0, pad, 1);
      g.backend.fill(row.raw(), 0);
      row.dispose();
    }
    return [gw];
  }, [flat]);
});

function extremesOf(values: Int32Array): [number, number] {
  let lo = values[0], hi = values[0];
  for (let i = 1; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    else if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** torch allows no negative indices in embedding, and none ≥ numEmbeddings. */
function checkIndices(owner: string, extremes: [number, number] | null, num: number): void {
  if (!extremes) return; // not readable synchronously: the kernels check as they read
  const [lo, hi] = extremes;
  const bad = lo < 0 ? lo : hi >= num ? hi : null;
  if (bad === null) return;
  const range = num === 0 ? "the weight has no rows, so no index is valid" : `indices must be in [0, ${num - 1}] for ${num} embeddings`;
  throw new RangeError(`${owner}: index ${bad} is out of range: ${range}`);
}

/** [n, 1]: 1/count of each position's index among all positions (torch's scale_grad_by_freq). */
function frequencyScales(idx: Tensor, dtype: Tensor["dtype"]): Tensor {
  const values = idx.dataSync();
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const scales = dtype === "float64" ? new Float64Array(values.length) : new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) scales[i] = 1 / counts.get(values[i])!;
  return tensor(scales, { shape: [values.length, 1], device: idx.device });
}

/** Rows scaled one by one below this count; above it, one pass over the weight with a scale column. */
const ROW_BY_ROW = 8;

/**
 * torch's embedding_renorm_: each distinct looked-up row whose p-norm exceeds maxNorm is multiplied
 * by maxNorm / (norm + 1e-7), in place and untracked. The norms are computed on the host from the
 * rows read back; the scale is rounded to the weight's float32 as torch's multiply by a scalar does.
 */
function renormRows(weight: Tensor, values: Int32Array, maxNorm: number, p: number): void {
  const b = weight.backend;
  const rows = [...new Set(values)].sort((x, y) => x - y);
  const dim = weight.shape[1];
  const rowsT = tensor(Int32Array.from(rows), { device: weight.device });
  const picked = empty([rows.length, dim], weight.dtype, b);
  let host: ArrayLike<number>;
  try {
    b.indexSelect(weight.raw(), 0, rowsT.raw(), picked.raw());
    host = picked.dataSync();
  } finally {
    rowsT.dispose();
    picked.dispose();
  }
  const round = weight.dtype === "float32" ? Math.fround : (v: number) => v;
  const scaled: [number, number][] = [];
  for (let r = 0; r < rows.length; r++) {
    let acc = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) {
      const a = Math.abs(host[j]);
      acc = p === Infinity ? Math.max(acc, a) : p === 1 ? acc + a : p === 2 ? acc + a * a : acc + a ** p;
    }
    const norm = round(p === Infinity || p === 1 ? acc : p === 2 ? Math.sqrt(acc) : acc ** (1 / p));
    if (norm > maxNorm) scaled.push([rows[r], round(maxNorm / (norm + 1e-7))]);
  }
  if (scaled.length === 0) return;
  noGrad(() => {
    if (scaled.length <= ROW_BY_ROW) {
      for (const [row, s] of scaled) {
        const view = narrow(weight, 0, row, 1);
        mul_(view, s);
        view.dispose();
      }
      return;
    }
    const column = weight.dtype === "float64" ? new Float64Array(weight.shape[0]) : new Float32Array(weight.shape[0]);
    column.fill(1);
    for (const [row, s] of scaled) column[row] = s;
    const c = tensor(column, { shape: [weight.shape[0], 1], device: weight.device });
    mul_(weight, c);
    c.dispose();
  });
}
