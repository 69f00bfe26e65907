// nb.nn.utils.rnn (torch.nn.utils.rnn): padSequence, packPaddedSequence, packSequence,
// padPackedSequence and the PackedSequence they work with.
//
// Each function is one gather: the position of every output row in the input is worked out on the
// host (lengths are host numbers), and one indexSelect moves the rows, so autograd differentiates
// them through indexSelect (and cat where sequences are joined) with no rule of their own. Padding
// rows are read from one extra row holding the padding value.

import { Tensor } from "../../tensor/tensor.js";
import { formatShape, shapesEqual } from "../../core/shape.js";
import { checkOptions, describe, optionNames } from "../../core/options.js";
import { full, tensor } from "../../tensor/creation.js";
import { assertTensor } from "../../ops/util.js";
import { cat, indexSelect } from "../../ops/indexing.js";
import { reshape } from "../../ops/view.js";
import { PackedSequence } from "./packed-sequence.js";

export { PackedSequence } from "./packed-sequence.js";

export interface PadSequenceOptions {
  /** Output [batch, time, ...] instead of [time, batch, ...] (default false). */
  batchFirst?: boolean;
  /** Value of the padded positions (default 0). */
  paddingValue?: number;
  /** Pad after each sequence ("right", default) or before it ("left"), as torch 2.x's padding_side. */
  paddingSide?: "right" | "left";
}

export interface PackPaddedOptions {
  /** The input is [batch, time, ...] instead of [time, batch, ...] (default false). */
  batchFirst?: boolean;
  /** Require lengths in decreasing order (default true); false sorts them and records the permutation. */
  enforceSorted?: boolean;
}

export interface PackSequenceOptions {
  enforceSorted?: boolean;
}

export interface PadPackedOptions {
  batchFirst?: boolean;
  paddingValue?: number;
  /** Pad to this many time steps (at least the longest sequence), e.g. to undo a pack of a longer input. */
  totalLength?: number;
}

const PAD_SEQUENCE_OPTIONS = optionNames<PadSequenceOptions>({ batchFirst: 1, paddingValue: 1, paddingSide: 1 });
const PACK_PADDED_OPTIONS = optionNames<PackPaddedOptions>({ batchFirst: 1, enforceSorted: 1 });
const PACK_SEQUENCE_OPTIONS = optionNames<PackSequenceOptions>({ enforceSorted: 1 });
const PAD_PACKED_OPTIONS = optionNames<PadPackedOptions>({ batchFirst: 1, paddingValue: 1, totalLength: 1 });

function bool(op: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw new TypeError(`${op}: ${name} must be true or false, got ${describe(v)}`);
  return v;
}

function paddingOf(op: string, v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v !== "number") throw new TypeError(`${op}: paddingValue must be a number, got ${describe(v)}`);
  return v;
}

/** The sequences as a checked list: non-empty, each ≥ 1-d, one dtype, the same trailing dims. */
function sequenceList(op: string, sequences: readonly Tensor[]): Tensor[] {
  if (!Array.isArray(sequences)) throw new TypeError(`${op}: sequences must be an array of tensors, got ${describe(sequences)}`);
  if (sequences.length === 0) throw new RangeError(`${op}: received an empty list of sequences`);
  const list = sequences.map((s, i) => assertTensor(op, s, `sequences[${i}]`));
  const first = list[0];
  list.forEach((s, i) => {
    if (s.ndim === 0) throw new RangeError(`${op}: sequences[${i}] is 0-d; each sequence must be [length, ...features]`);
    if (s.dtype !== first.dtype) throw new TypeError(`${op}: sequences[${i}] is ${s.dtype} but sequences[0] is ${first.dtype}`);
    if (!shapesEqual(s.shape.slice(1), first.shape.slice(1))) {
      throw new RangeError(`${op}: sequences[${i}] has shape ${formatShape(s.shape)} but sequences[0] has ${formatShape(first.shape)}; all must share the dims after the first`);
    }
  });
  return list;
}

/** An int32 index tensor on t's device. */
const indexOn = (t: Tensor, values: Int32Array): Tensor => tensor(values, { device: t.device });

/** Rows of source [n, ...] picked by table, where the index n means a row of `pad` (added only when used). */
function gatherRows(source: Tensor, table: Int32Array, pad: number): Tensor {
  const rest = source.shape.slice(1);
  let src = source;
  let filler: Tensor | null = null;
  if (table.includes(source.shape[0])) {
    filler = full([1, ...rest], pad, { dtype: source.dtype, device: source.device });
    src = cat([source, filler], 0);
  }
  const idx = indexOn(source, table);
  const out = indexSelect(src, 0, idx);
  idx.dispose();
  if (filler) {
    filler.dispose();
    src.dispose();
  }
  return out;
}

/**
 * Stack sequences [Lᵢ, ...] of different lengths into [maxL, B, ...] ([B, maxL, ...] with
 * batchFirst), the positions past each sequence's end holding paddingValue.
 */
export function padSequence(sequences: readonly Tensor[], opts: PadSequenceOptions = {}): Tensor {
  const op = "padSequence";
  checkOptions(op, opts, PAD_SEQUENCE_OPTIONS);
  const batchFirst = bool(op, "batchFirst", opts.batchFirst, false);
  const pad = paddingOf(op, opts.paddingValue);
  const side = opts.paddingSide ?? "right";
  if (side !== "right" && side !== "left") throw new RangeError(`${op}: paddingSide must be "right" or "left", got ${describe(side)}`);
  const list = sequenceList(op, sequences);
  const lengths = list.map((s) => s.shape[0]);
  const T = Math.max(...lengths), B = list.length;
  const offsets = runningOffsets(lengths);
  const total = offsets[B];
  const table = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    const lead = side === "left" ? T - lengths[b] : 0;
    for (let t = 0; t < T; t++) {
      const k = t - lead;
      table[batchFirst ? b * T + t : t * B + b] = k >= 0 && k < lengths[b] ? offsets[b] + k : total;
    }
  }
  const joined = list.length === 1 ? list[0] : cat(list, 0);
  const out = gatherRows(joined, table, pad);
  if (joined !== list[0]) joined.dispose();
  const rest = list[0].shape.slice(1);
  return reshape(out, batchFirst ? [B, T, ...rest] : [T, B, ...rest]);
}

function runningOffsets(lengths: readonly number[]): number[] {
  const offsets = [0];
  for (const n of lengths) offsets.push(offsets[offsets.length - 1] + n);
  return offsets;
}

/** The lengths as host integers: a number[] or a 1-d int32 tensor (read back). */
function lengthList(op: string, lengths: readonly number[] | Tensor): number[] {
  if (lengths instanceof Tensor) {
    if (lengths.dtype !== "int32" || lengths.ndim !== 1) {
      throw new TypeError(`${op}: lengths must be a number[] or a 1-d int32 tensor, got a ${lengths.dtype} tensor of shape ${formatShape(lengths.shape)}`);
    }
    return Array.from(lengths.dataSync(), Number);
  }
  if (!Array.isArray(lengths)) throw new TypeError(`${op}: lengths must be a number[] or a 1-d int32 tensor, got ${describe(lengths)}`);
  return lengths.map((n, i) => {
    if (typeof n !== "number" || !Number.isInteger(n)) throw new TypeError(`${op}: lengths[${i}] must be an integer, got ${describe(n)}`);
    return n;
  });
}

/**
 * The order packing takes the batch in: null when enforceSorted (lengths must already be
 * non-increasing), else the indices that sort lengths in decreasing order, ties kept in batch
 * order (torch's sort, stable on the CPU). Checks the lengths as torch's packing does.
 */
function packingOrder(op: string, lengths: readonly number[], maxSteps: number, enforceSorted: boolean): number[] | null {
  const shown = describe(lengths);
  const zero = lengths.findIndex((n) => n <= 0);
  if (zero >= 0) throw new RangeError(`${op}: every length must be greater than 0, but lengths ${shown} has ${lengths[zero]} at index ${zero}`);
  const long = lengths.findIndex((n) => n > maxSteps);
  if (long >= 0) throw new RangeError(`${op}: lengths ${shown} has ${lengths[long]} at index ${long}, longer than the ${maxSteps} time steps of the input`);
  if (!enforceSorted) return lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a]);
  for (let i = 1; i < lengths.length; i++) {
    if (lengths[i] > lengths[i - 1]) {
      throw new RangeError(`${op}: lengths ${shown} must be sorted in decreasing order when enforceSorted is true; pass enforceSorted: false to have them sorted (the packed sequence then records the permutation)`);
    }
  }
  return null;
}

/** batchSizes[t]: how many of the (sorted) lengths exceed t. */
function batchSizesOf(sorted: readonly number[]): number[] {
  const sizes: number[] = [];
  for (let t = 0; t < sorted[0]; t++) {
    let n = 0;
    while (n < sorted.length && sorted[n] > t) n++;
    sizes.push(n);
  }
  return sizes;
}

/** The PackedSequence of rows picked from `rows` [*, ...] at rowOf(step, original batch index). */
function pack(source: Tensor, lengths: readonly number[], order: number[] | null, rowOf: (t: number, b: number) => number): PackedSequence {
  const sortedLengths = order ? order.map((i) => lengths[i]) : lengths;
  const sizes = batchSizesOf(sortedLengths);
  const table = new Int32Array(sizes.reduce((a, n) => a + n, 0));
  let at = 0;
  for (let t = 0; t < sizes.length; t++) {
    for (let j = 0; j < sizes[t]; j++) table[at++] = rowOf(t, order ? order[j] : j);
  }
  const data = gatherRows(source, table, 0);
  if (!order) return new PackedSequence(data, sizes, null, null);
  const unsorted = new Int32Array(order.length);
  order.forEach((b, j) => (unsorted[b] = j));
  return new PackedSequence(data, sizes, indexOn(source, Int32Array.from(order)), indexOn(source, unsorted));
}

/**
 * Pack a padded batch [T, B, ...] ([B, T, ...] with batchFirst) whose sequence b has lengths[b]
 * valid steps. With enforceSorted (default) lengths must be non-increasing; otherwise the batch
 * is sorted by decreasing length and sortedIndices/unsortedIndices record the permutation.
 */
export function packPaddedSequence(input: Tensor, lengths: readonly number[] | Tensor, opts: PackPaddedOptions = {}): PackedSequence {
  const op = "packPaddedSequence";
  checkOptions(op, opts, PACK_PADDED_OPTIONS);
  assertTensor(op, input);
  const batchFirst = bool(op, "batchFirst", opts.batchFirst, false);
  const enforceSorted = bool(op, "enforceSorted", opts.enforceSorted, true);
  const layout = batchFirst ? "[batch, time, ...]" : "[time, batch, ...]";
  if (input.ndim < 2) throw new RangeError(`${op}: input must be at least 2-d ${layout}, got shape ${formatShape(input.shape)}`);
  const T = input.shape[batchFirst ? 1 : 0], B = input.shape[batchFirst ? 0 : 1];
  const lens = lengthList(op, lengths);
  if (lens.length !== B) {
    throw new RangeError(`${op}: expected one length per sequence, ${B} (the batch of input ${formatShape(input.shape)}, ${layout}), got ${lens.length}: ${describe(lens)}`);
  }
  if (B === 0) throw new RangeError(`${op}: cannot pack an empty batch (input shape ${formatShape(input.shape)})`);
  const order = packingOrder(op, lens, T, enforceSorted);
  const rows = reshape(input, [T * B, ...input.shape.slice(2)]);
  const packed = pack(rows, lens, order, batchFirst ? (t, b) => b * T + t : (t, b) => t * B + b);
  if (rows !== input) rows.dispose();
  return packed;
}

/** Pack a list of sequences [Lᵢ, ...] (sorted by decreasing length unless enforceSorted is false). */
export function packSequence(sequences: readonly Tensor[], opts: PackSequenceOptions = {}): PackedSequence {
  const op = "packSequence";
  checkOptions(op, opts, PACK_SEQUENCE_OPTIONS);
  const enforceSorted = bool(op, "enforceSorted", opts.enforceSorted, true);
  const list = sequenceList(op, sequences);
  const lengths = list.map((s) => s.shape[0]);
  const order = packingOrder(op, lengths, Math.max(...lengths), enforceSorted);
  const offsets = runningOffsets(lengths);
  const joined = list.length === 1 ? list[0] : cat(list, 0);
  const packed = pack(joined, lengths, order, (t, b) => offsets[b] + t);
  if (joined !== list[0]) joined.dispose();
  return packed;
}

/**
 * Undo a pack: [T, B, ...] ([B, T, ...] with batchFirst), the batch in its original order,
 * positions past each sequence's end holding paddingValue, T = totalLength or the longest length.
 * Returns [padded, lengths]: lengths is an int32 tensor [B] on the data's device (torch returns
 * int64 on the CPU), in the original batch order.
 */
export function padPackedSequence(sequence: PackedSequence, opts: PadPackedOptions = {}): [Tensor, Tensor] {
  const op = "padPackedSequence";
  checkOptions(op, opts, PAD_PACKED_OPTIONS);
  if (!(sequence instanceof PackedSequence)) throw new TypeError(`${op}: sequence must be a PackedSequence (from packPaddedSequence or packSequence), got ${describe(sequence)}`);
  const batchFirst = bool(op, "batchFirst", opts.batchFirst, false);
  const pad = paddingOf(op, opts.paddingValue);
  const { data, batchSizes } = sequence;
  assertTensor(op, data, "sequence.data");
  const sizes = [...batchSizes];
  const maxSteps = sizes.length;
  const B = sizes[0] ?? 0;
  if (maxSteps === 0 || !sizes.every((n, t) => Number.isInteger(n) && n > 0 && (t === 0 || n <= sizes[t - 1]))) {
    throw new RangeError(`${op}: batchSizes must be a non-empty, non-increasing list of positive integers, got ${describe(sizes)}`);
  }
  const rowsInData = sizes.reduce((a, n) => a + n, 0);
  if (data.ndim < 1 || data.shape[0] !== rowsInData) {
    throw new RangeError(`${op}: data has shape ${formatShape(data.shape)} but batchSizes ${describe(sizes)} add up to ${rowsInData} rows`);
  }
  const T = opts.totalLength ?? maxSteps;
  if (typeof T !== "number" || !Number.isInteger(T) || T < maxSteps) {
    throw new RangeError(`${op}: totalLength must be at least the length of the longest sequence, ${maxSteps}, got ${describe(opts.totalLength)}`);
  }
  // Where each original sequence sits in the packed (sorted) order.
  const slotOf = sortedSlots(op, sequence, B);
  const stepStart = runningOffsets(sizes);
  const table = new Int32Array(T * B);
  const lengths = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const j = slotOf[b];
    for (let t = 0; t < T; t++) {
      const inside = t < maxSteps && j < sizes[t];
      if (inside) lengths[b] = t + 1;
      table[batchFirst ? b * T + t : t * B + b] = inside ? stepStart[t] + j : rowsInData;
    }
  }
  const rest = data.shape.slice(1);
  const padded = reshape(gatherRows(data, table, pad), batchFirst ? [B, T, ...rest] : [T, B, ...rest]);
  return [padded, indexOn(data, lengths)];
}

/** slot[b]: the packed position of original sequence b (unsortedIndices, or sortedIndices inverted). */
function sortedSlots(op: string, sequence: PackedSequence, B: number): number[] {
  const read = (t: Tensor | null, name: string): number[] | null => {
    if (t === null) return null;
    const values = Array.from(assertTensor(op, t, name).dataSync(), Number);
    const isPermutation = values.length === B && new Set(values).size === B && values.every((v) => Number.isInteger(v) && v >= 0 && v < B);
    if (!isPermutation) throw new RangeError(`${op}: ${name} must be a permutation of 0..${B - 1}, got ${describe(values)}`);
    return values;
  };
  const unsorted = read(sequence.unsortedIndices, "unsortedIndices");
  if (unsorted) return unsorted;
  const sorted = read(sequence.sortedIndices, "sortedIndices");
  if (!sorted) return Array.from({ length: B }, (_, b) => b);
  const slots = new Array<number>(B);
  sorted.forEach((b, j) => (slots[b] = j));
  return slots;
}
