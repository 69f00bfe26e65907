// One direction of one recurrent layer (RNN tanh/relu, LSTM, GRU) over a whole sequence, and the
// single-step cell functions, with PyTorch's gate order and numerics (LSTM i, f, g, o; GRU r, z, n
// with n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h).
//
// Sequences are packed (torch's PackedSequence layout): x is [ΣB, in] holding step 0's rows, then
// step 1's, ..., batchSizes[t] rows at step t, longest sequences first. A padded batch [T, N, in]
// is the same thing reshaped to [T·N, in] with every batchSizes[t] = N. Rows that are not active
// at a step keep their state, so a short sequence's final state is its own last step's and the
// reverse direction starts there.
//
// Two paths, same values and gradients (within float32 rounding):
// - fused: the input projection of all steps is one matmul (composite, autograd carries its
//   gradient to x, W_ih and the biases), then the backend's optional recurrentForward runs the
//   whole recurrence in one call and ONE autograd node calls recurrentBackward. Taken when the
//   backend has both entries, everything is float32 and the cell has no LSTM projection
//   (projSize), and the backend accepts the operands (it returns false to decline).
// - composite: the same projection, then the recurrence step by step with ordinary ops (matmul,
//   sigmoid, tanh, mul, add, narrow, cat) under autograd. The reference: the cpu backend has no
//   fused entries, so this is what it always runs.
// Forcing the composite path (to compare a backend's kernels against the reference): set the
// environment variable NABLA_RECURRENT_COMPOSITE=1 (read at every call) or call
// setRecurrentComposite(true) (@internal, for tests).

import type { Backend, RecurrentParams, View } from "../backend/backend.js";
import { formatShape } from "../core/shape.js";
import { record } from "../autograd/node.js";
import { noGrad } from "../autograd/grad-mode.js";
import { keep, tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { assertFloating, assertTensor, commonBackend, empty, scalar } from "./util.js";
import { add, mul, relu, sigmoid, sub, tanh } from "./elementwise.js";
import { linear } from "./linalg.js";
import { cat } from "./indexing.js";
import { clone, contiguous, expand, narrow, reshape } from "./view.js";

/** Which recurrence: the backend contract's names. */
export type RecurrentCell = RecurrentParams["cell"];

/** Gates per cell: the row blocks of W_ih and W_hh. */
export const GATES: Readonly<Record<RecurrentCell, number>> = { rnnTanh: 1, rnnRelu: 1, lstm: 4, gru: 3 };

/** One direction of one layer's parameters, torch's layouts (G gates, H hidden, P = projSize || H). */
export interface RecurrentWeights {
  /** [G·H, in] */
  weightIh: Tensor;
  /** [G·H, P] */
  weightHh: Tensor;
  /** [G·H] or null (bias = false) */
  biasIh: Tensor | null;
  /** [G·H] or null */
  biasHh: Tensor | null;
  /** LSTM projection [P, H] (h = W_hr·(o ⊙ tanh c)), or null. */
  weightHr?: Tensor | null;
}

export interface RecurrentSequenceResult {
  /** [ΣB, P]: each active row's hidden state at each step, in x's packed layout. */
  output: Tensor;
  /** [N, P]: each row's state after its last active step. */
  hN: Tensor;
  /** [N, H] (LSTM) or null. */
  cN: Tensor | null;
}

let forceComposite = false;

/**
 * @internal Force (true) or stop forcing (false) the composite path, whatever the backend offers;
 * returns the previous setting. NABLA_RECURRENT_COMPOSITE=1 forces it too.
 */
export function setRecurrentComposite(force: boolean): boolean {
  const previous = forceComposite;
  forceComposite = force;
  return previous;
}

function compositeForced(): boolean {
  return forceComposite || (typeof process !== "undefined" && process.env?.NABLA_RECURRENT_COMPOSITE === "1");
}

/**
 * One direction of one recurrent layer over a packed sequence: x [ΣB, in], batchSizes (length T,
 * non-increasing, batchSizes[0] = N), h0 [N, P], c0 [N, H] for LSTM (else null); reverse walks the
 * steps from last to first. Differentiable in x, the weights, h0 and c0.
 */
export function recurrentSequence(
  cell: RecurrentCell, x: Tensor, batchSizes: readonly number[], w: RecurrentWeights,
  h0: Tensor, c0: Tensor | null, reverse = false,
): RecurrentSequenceResult {
  const op = "recurrentSequence";
  const dims = checkOperands(op, cell, x, w, h0, c0);
  checkBatchSizes(op, batchSizes, x.shape[0], h0.shape[0]);
  return tidy(() => {
    // One matmul for every step's input projection. b_hh joins b_ih here (one add over G·H rather
    // than one per step), except for GRU, whose n gate needs b_hn inside r ⊙ (·).
    const bias = cell === "gru" ? w.biasIh : w.biasIh && w.biasHh ? add(w.biasIh, w.biasHh) : (w.biasIh ?? w.biasHh);
    const xProj = linear(x, w.weightIh, bias);
    const fused = w.weightHr ? null : fusedSequence(cell, xProj, batchSizes, w.weightHh, cell === "gru" ? w.biasHh : null, h0, c0, reverse, dims.hidden);
    return fused ?? compositeSequence(cell, xProj, batchSizes, w, h0, c0, reverse);
  });
}

// ---------------------------------------------------------------------------------------------
// checks

interface Dims {
  gates: number;
  hidden: number;
  /** Size of h: projSize, or hidden. */
  out: number;
}

function checkOperands(op: string, cell: RecurrentCell, x: Tensor, w: RecurrentWeights, h: Tensor, c: Tensor | null): Dims {
  if (!(cell in GATES)) throw new RangeError(`${op}: cell must be one of ${Object.keys(GATES).map((k) => JSON.stringify(k)).join(", ")}, got ${JSON.stringify(cell)}`);
  assertTensor(op, x);
  assertTensor(op, w.weightIh, "weightIh");
  assertTensor(op, w.weightHh, "weightHh");
  assertTensor(op, h, "h");
  if (w.biasIh) assertTensor(op, w.biasIh, "biasIh");
  if (w.biasHh) assertTensor(op, w.biasHh, "biasHh");
  if (w.weightHr) assertTensor(op, w.weightHr, "weightHr");
  if (c) assertTensor(op, c, "c");
  commonBackend(op, x, w.weightIh, w.weightHh, w.biasIh, w.biasHh, w.weightHr, h, c);
  assertFloating(op, x);
  const gates = GATES[cell];
  if (w.weightHh.ndim !== 2 || w.weightHh.shape[0] % gates !== 0) {
    throw new RangeError(`${op}: weightHh must be [${gates}·hidden, hidden], got ${formatShape(w.weightHh.shape)}`);
  }
  const hidden = w.weightHh.shape[0] / gates;
  if (w.weightHr && cell !== "lstm") throw new RangeError(`${op}: only an LSTM has a projection weightHr`);
  const out = w.weightHr ? w.weightHr.shape[0] : hidden;
  if (w.weightHr && (w.weightHr.ndim !== 2 || w.weightHr.shape[1] !== hidden)) {
    throw new RangeError(`${op}: weightHr must be [projSize, ${hidden}], got ${formatShape(w.weightHr.shape)}`);
  }
  if (w.weightHh.shape[1] !== out) throw new RangeError(`${op}: weightHh must be [${gates * hidden}, ${out}], got ${formatShape(w.weightHh.shape)}`);
  const inF = x.shape[x.ndim - 1];
  if (x.ndim !== 2 || w.weightIh.ndim !== 2 || w.weightIh.shape[0] !== gates * hidden || w.weightIh.shape[1] !== inF) {
    throw new RangeError(`${op}: expected x [rows, in] and weightIh [${gates * hidden}, in], got x ${formatShape(x.shape)} and weightIh ${formatShape(w.weightIh.shape)}`);
  }
  for (const [name, b] of [["biasIh", w.biasIh], ["biasHh", w.biasHh]] as const) {
    if (b && (b.ndim !== 1 || b.shape[0] !== gates * hidden)) throw new RangeError(`${op}: ${name} must be [${gates * hidden}], got ${formatShape(b.shape)}`);
  }
  if (h.ndim !== 2 || h.shape[1] !== out) throw new RangeError(`${op}: h must be [batch, ${out}], got ${formatShape(h.shape)}`);
  if (cell === "lstm") {
    if (!c) throw new RangeError(`${op}: an LSTM needs a cell state c`);
    if (c.ndim !== 2 || c.shape[0] !== h.shape[0] || c.shape[1] !== hidden) {
      throw new RangeError(`${op}: c must be [${h.shape[0]}, ${hidden}], got ${formatShape(c.shape)}`);
    }
  } else if (c) throw new RangeError(`${op}: only an LSTM takes a cell state c`);
  return { gates, hidden, out };
}

function checkBatchSizes(op: string, batchSizes: readonly number[], rows: number, n: number): void {
  if (!Array.isArray(batchSizes) || batchSizes.length === 0) throw new RangeError(`${op}: batchSizes must be a non-empty array (one entry per step)`);
  let total = 0;
  batchSizes.forEach((b, t) => {
    if (!Number.isInteger(b) || b < 1 || b > n || (t > 0 && b > batchSizes[t - 1])) {
      throw new RangeError(`${op}: batchSizes must be non-increasing integers in [1, ${n}], got ${JSON.stringify(batchSizes)}`);
    }
    total += b;
  });
  if (batchSizes[0] !== n) throw new RangeError(`${op}: batchSizes[0] must equal the batch size ${n} of h, got ${batchSizes[0]}`);
  if (total !== rows) throw new RangeError(`${op}: batchSizes add up to ${total} rows, but x has ${rows}`);
}

/** Row offset of each step in the packed layout. */
function stepOffsets(batchSizes: readonly number[]): number[] {
  const at: number[] = [];
  let sum = 0;
  for (const b of batchSizes) {
    at.push(sum);
    sum += b;
  }
  return at;
}

// ---------------------------------------------------------------------------------------------
// composite path: the reference

/** The next [h, c] of rows whose projected input (x·W_ihᵀ + biases, see recurrentSequence) is xp. */
function stepComposite(cell: RecurrentCell, xp: Tensor, h: Tensor, c: Tensor | null, w: RecurrentWeights, hidden: number): [Tensor, Tensor | null] {
  if (cell === "gru") {
    const hp = linear(h, w.weightHh, w.biasHh);
    const r = sigmoid(add(narrow(xp, 1, 0, hidden), narrow(hp, 1, 0, hidden)));
    const z = sigmoid(add(narrow(xp, 1, hidden, hidden), narrow(hp, 1, hidden, hidden)));
    const n = tanh(add(narrow(xp, 1, 2 * hidden, hidden), mul(r, narrow(hp, 1, 2 * hidden, hidden))));
    // (1 − z) ⊙ n + z ⊙ h written as torch computes it: n + z ⊙ (h − n).
    return [add(n, mul(z, sub(h, n))), null];
  }
  const pre = add(xp, linear(h, w.weightHh));
  if (cell === "rnnTanh") return [tanh(pre), null];
  if (cell === "rnnRelu") return [relu(pre), null];
  const i = sigmoid(narrow(pre, 1, 0, hidden));
  const f = sigmoid(narrow(pre, 1, hidden, hidden));
  const g = tanh(narrow(pre, 1, 2 * hidden, hidden));
  const o = sigmoid(narrow(pre, 1, 3 * hidden, hidden));
  const c2 = add(mul(f, c!), mul(i, g));
  const h2 = mul(o, tanh(c2));
  return [w.weightHr ? linear(h2, w.weightHr) : h2, c2];
}

function compositeSequence(
  cell: RecurrentCell, xProj: Tensor, batchSizes: readonly number[], w: RecurrentWeights,
  h0: Tensor, c0: Tensor | null, reverse: boolean,
): RecurrentSequenceResult {
  const T = batchSizes.length;
  const hidden = w.weightHh.shape[0] / GATES[cell];
  const at = stepOffsets(batchSizes);
  const outs: Tensor[] = new Array(T);
  let h: Tensor, c: Tensor | null;
  let hN: Tensor, cN: Tensor | null = null;
  if (!reverse) {
    // The batch shrinks as sequences end: rows that stop at step t keep the state they had then.
    h = h0;
    c = c0;
    const doneH: Tensor[] = [], doneC: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const n = batchSizes[t], rows = h.shape[0];
      if (n < rows) {
        doneH.push(narrow(h, 0, n, rows - n));
        h = narrow(h, 0, 0, n);
        if (c) {
          doneC.push(narrow(c, 0, n, rows - n));
          c = narrow(c, 0, 0, n);
        }
      }
      [h, c] = stepComposite(cell, narrow(xProj, 0, at[t], n), h, c, w, hidden);
      outs[t] = h;
    }
    // The rows that ended first are the last rows.
    hN = doneH.length ? cat([h, ...doneH.reverse()], 0) : h;
    if (c) cN = doneC.length ? cat([c, ...doneC.reverse()], 0) : c;
  } else {
    // Walking backwards the batch grows: a sequence joins, from its initial state, at its last step.
    let rows = batchSizes[T - 1];
    h = narrow(h0, 0, 0, rows);
    c = c0 ? narrow(c0, 0, 0, rows) : null;
    for (let t = T - 1; t >= 0; t--) {
      const n = batchSizes[t];
      if (n > rows) {
        h = cat([h, narrow(h0, 0, rows, n - rows)], 0);
        if (c) c = cat([c, narrow(c0!, 0, rows, n - rows)], 0);
        rows = n;
      }
      [h, c] = stepComposite(cell, narrow(xProj, 0, at[t], n), h, c, w, hidden);
      outs[t] = h;
    }
    // batchSizes[0] = N: every row is active at step 0, where this direction ends.
    hN = h;
    cN = c;
  }
  return { output: T === 1 ? outs[0] : cat(outs, 0), hN, cN };
}

// ---------------------------------------------------------------------------------------------
// fused path: the backend's recurrentForward / recurrentBackward

/** A [rows, width] view of `rows` consecutive rows starting at row `first` of a contiguous 2-d or 3-d tensor. */
function rowsView(t: Tensor, first: number, rows: number, width: number): View {
  const v = t.raw();
  return { buf: v.buf, dtype: v.dtype, shape: [rows, width], strides: [width, 1], offset: v.offset + first * width };
}

/** A contiguous tensor's buffer seen as [T, N, width] (the kernels' layout), whatever its own shape. */
function steps(t: Tensor, T: number, N: number, width: number): View {
  const v = t.raw();
  return { buf: v.buf, dtype: v.dtype, shape: [T, N, width], strides: [N * width, width, 1], offset: v.offset };
}

/** Copy each step's active rows between the packed [ΣB, W] and padded [T, N, W] layouts. */
function copySteps(b: Backend, batchSizes: readonly number[], N: number, width: number, packed: Tensor, padded: Tensor, toPadded: boolean): void {
  const at = stepOffsets(batchSizes);
  batchSizes.forEach((n, t) => {
    const p = rowsView(packed, at[t], n, width), q = rowsView(padded, t * N, n, width);
    if (toPadded) b.copy(p, q);
    else b.copy(q, p);
  });
}

/** Each row's final state, taken from the padded states at its last active step (forward) or step 0 (reverse). */
function finalStates(b: Backend, batchSizes: readonly number[], states: Tensor, H: number, reverse: boolean): Tensor {
  const N = batchSizes[0];
  const out = empty([N, H], states.dtype, b);
  forEachLastStep(batchSizes, reverse, (t, first, rows) => b.copy(rowsView(states, t * N + first, rows, H), rowsView(out, first, rows, H)));
  return out;
}

/** Calls fn(step, firstRow, rowCount) for each run of rows whose last active step is the same. */
function forEachLastStep(batchSizes: readonly number[], reverse: boolean, fn: (t: number, first: number, rows: number) => void): void {
  if (reverse) {
    fn(0, 0, batchSizes[0]);
    return;
  }
  const T = batchSizes.length;
  for (let t = 0; t < T; t++) {
    const next = t + 1 < T ? batchSizes[t + 1] : 0;
    if (batchSizes[t] > next) fn(t, next, batchSizes[t] - next);
  }
}

/** A contiguous tensor holding t's values, outside autograd (the node records t itself). */
function contiguousValues(t: Tensor): Tensor {
  return t.isContiguous() ? t : noGrad(() => contiguous(t));
}

function fusedSequence(
  cell: RecurrentCell, xProj: Tensor, batchSizes: readonly number[], whh: Tensor, bhhGru: Tensor | null,
  h0: Tensor, c0: Tensor | null, reverse: boolean, H: number,
): RecurrentSequenceResult | null {
  const b = xProj.backend;
  if (!b.recurrentForward || !b.recurrentBackward || compositeForced()) return null;
  const operands = [xProj, whh, bhhGru, h0, c0];
  if (operands.some((t) => t && t.dtype !== "float32") || !whh.isContiguous() || (bhhGru && !bhhGru.isContiguous())) return null;
  const lstm = cell === "lstm";
  const T = batchSizes.length, N = batchSizes[0], G = GATES[cell];
  const S = cell === "rnnTanh" || cell === "rnnRelu" ? 0 : 4;
  const padded = batchSizes.every((n) => n === N);
  const p: RecurrentParams = { cell, batchSizes: [...batchSizes], reverse };

  // The kernel reads a padded [T, N, G·H]; a packed batch is spread into zeros first.
  let xPadded = contiguousValues(xProj);
  if (!padded) {
    xPadded = empty([T, N, G * H], "float32", b);
    b.fill(xPadded.raw(), 0);
    copySteps(b, batchSizes, N, G * H, xProj, xPadded, true);
  }
  // GRU without biases: the kernel takes b_hh all the same.
  const bhh = cell === "gru" ? (bhhGru ?? zerosTensor([G * H], b)) : null;
  const h0v = contiguousValues(h0), c0v = c0 ? contiguousValues(c0) : null;
  const hs = empty([T, N, H], "float32", b);
  const cs = lstm ? empty([T, N, H], "float32", b) : null;
  const saved = empty([T, N, S * H], "float32", b);
  const ok = b.recurrentForward(p, steps(xPadded, T, N, G * H), whh.raw(), bhh?.raw() ?? null, h0v.raw(), c0v?.raw() ?? null, hs.raw(), cs?.raw() ?? null, saved.raw());
  if (!ok) return null;

  let output: Tensor;
  if (padded) output = reshape(hs, [T * N, H]);
  else {
    output = empty([xProj.shape[0], H], "float32", b);
    copySteps(b, batchSizes, N, H, output, hs, false);
  }
  const hN = finalStates(b, batchSizes, hs, H, reverse);
  const cN = cs ? finalStates(b, batchSizes, cs, H, reverse) : null;

  // ONE node for the recurrence, on `output`. hN and cN get small nodes of their own that hand
  // their gradients to it through `finals` (the engine runs them first: they depend on output),
  // because a node has one output here.
  const finals: { gH: Tensor | null; gC: Tensor | null } = { gH: null, gC: null };
  const inputs = [xProj, whh, bhhGru, h0, c0];
  const rows = xProj.shape[0];
  record("RecurrentBackward", inputs, output, (g, s) => {
    const [sWhh, sBhh, sH0, sC0, sHs, sCs, sSaved] = s;
    const gH = finals.gH, gC = finals.gC;
    finals.gH = finals.gC = null;
    try {
      // gHs: the output's gradient spread to [T, N, H] (zeros where a row is not active) plus the
      // final state's gradient at each row's last active step; gCs: only the latter.
      const gHs = empty([T, N, H], "float32", b);
      if (padded) b.copy(g.raw(), { ...gHs.raw(), shape: [T * N, H], strides: [H, 1] });
      else {
        b.fill(gHs.raw(), 0);
        copySteps(b, batchSizes, N, H, contiguousValues(g), gHs, true);
      }
      if (gH) addFinal(b, batchSizes, gHs, gH, H, reverse);
      let gCs: Tensor | null = null;
      if (lstm) {
        gCs = empty([T, N, H], "float32", b);
        b.fill(gCs.raw(), 0);
        if (gC) addFinal(b, batchSizes, gCs, gC, H, reverse);
      }
      const gXPadded = empty([T, N, G * H], "float32", b);
      const gWhh = empty([G * H, H], "float32", b);
      const gBhh = cell === "gru" ? empty([G * H], "float32", b) : null;
      const gH0 = empty([N, H], "float32", b);
      const gC0 = lstm ? empty([N, H], "float32", b) : null;
      const done = b.recurrentBackward!(
        p, sWhh.raw(), cell === "gru" ? sBhh.raw() : null, sH0.raw(), lstm ? sC0.raw() : null, sHs.raw(), lstm ? sCs.raw() : null, sSaved.raw(),
        gHs.raw(), gCs?.raw() ?? null, gXPadded.raw(), gWhh.raw(), gBhh?.raw() ?? null, gH0.raw(), gC0?.raw() ?? null,
      );
      if (!done) {
        throw new Error(`recurrentSequence: the ${b.name} backend ran recurrentForward for a ${cell} layer but declined its recurrentBackward; a backend must take the same operands in both`);
      }
      let gX = gXPadded;
      if (!padded) {
        gX = empty([rows, G * H], "float32", b);
        copySteps(b, batchSizes, N, G * H, gX, gXPadded, false);
      }
      return [padded ? reshape(gX, [rows, G * H]) : gX, gWhh, gBhh, gH0, gC0];
    } finally {
      gH?.dispose();
      gC?.dispose();
    }
  }, [whh, bhh ?? whh, h0v, c0v ?? h0v, hs, cs ?? hs, saved]);
  const side = (name: string, t: Tensor, slot: "gH" | "gC"): Tensor =>
    record(name, [output], t, (g) => {
      // Keep a copy past this rule's scope; the recurrence's rule takes it and frees it.
      finals[slot]?.dispose();
      finals[slot] = keep(noGrad(() => clone(g)));
      // The recurrence node needs a gradient from every consumer to become ready: a zero one.
      return [expand(scalar(0, "float32", b), [rows, H])];
    });
  return { output, hN: side("RecurrentFinalHiddenBackward", hN, "gH"), cN: cN ? side("RecurrentFinalCellBackward", cN, "gC") : null };
}

/** Add a final state's gradient [N, H] into the padded gradient at each row's last active step. */
function addFinal(b: Backend, batchSizes: readonly number[], gPadded: Tensor, gFinal: Tensor, H: number, reverse: boolean): void {
  const N = batchSizes[0];
  const gf = contiguousValues(gFinal);
  forEachLastStep(batchSizes, reverse, (t, first, rows) => {
    const target = rowsView(gPadded, t * N + first, rows, H);
    b.binary("add", target, rowsView(gf, first, rows, H), target);
  });
}

function zerosTensor(shape: number[], b: Backend): Tensor {
  const t = empty(shape, "float32", b);
  b.fill(t.raw(), 0);
  return t;
}

// ---------------------------------------------------------------------------------------------
// cells: one step, for hand-written loops

/** One RNN step: h' = tanh|relu(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh); x [N, in] or [in], h like it. */
export function rnnCell(x: Tensor, h: Tensor, w: RecurrentWeights, nonlinearity: "tanh" | "relu" = "tanh"): Tensor {
  const cell = nonlinearity === "relu" ? "rnnRelu" : "rnnTanh";
  return cellStep("rnnCell", cell, x, h, null, w)[0];
}

/** One LSTM step: returns [h', c']. */
export function lstmCell(x: Tensor, state: readonly [Tensor, Tensor], w: RecurrentWeights): [Tensor, Tensor] {
  const [h, c] = cellStep("lstmCell", "lstm", x, state[0], state[1], w);
  return [h, c!];
}

/** One GRU step: h'. */
export function gruCell(x: Tensor, h: Tensor, w: RecurrentWeights): Tensor {
  return cellStep("gruCell", "gru", x, h, null, w)[0];
}

function cellStep(op: string, cell: RecurrentCell, x: Tensor, h: Tensor, c: Tensor | null, w: RecurrentWeights): [Tensor, Tensor | null] {
  assertTensor(op, x);
  assertTensor(op, h, "h");
  const unbatched = x.ndim === 1;
  if (x.ndim !== 1 && x.ndim !== 2) throw new RangeError(`${op}: x must be [batch, in] or unbatched [in], got ${formatShape(x.shape)}`);
  if (h.ndim !== x.ndim || (c && c.ndim !== x.ndim)) {
    throw new RangeError(`${op}: the state must have as many dims as x (${x.ndim}), got h ${formatShape(h.shape)}${c ? ` and c ${formatShape(c.shape)}` : ""}`);
  }
  const lift = (t: Tensor): Tensor => (unbatched ? reshape(t, [1, t.shape[0]]) : t);
  const x2 = lift(x), h2 = lift(h), c2 = c ? lift(c) : null;
  const dims = checkOperands(op, cell, x2, w, h2, c2);
  if (h2.shape[0] !== x2.shape[0]) throw new RangeError(`${op}: h has batch ${h2.shape[0]} but x has ${x2.shape[0]} (x ${formatShape(x.shape)}, h ${formatShape(h.shape)})`);
  return tidy(() => {
    const bias = cell === "gru" ? w.biasIh : w.biasIh && w.biasHh ? add(w.biasIh, w.biasHh) : (w.biasIh ?? w.biasHh);
    const [hOut, cOut] = stepComposite(cell, linear(x2, w.weightIh, bias), h2, c2, w, dims.hidden);
    const drop = (t: Tensor): Tensor => (unbatched ? reshape(t, [t.shape[1]]) : t);
    return [drop(hOut), cOut ? drop(cOut) : null] as [Tensor, Tensor | null];
  });
}
