// The kernel contract every backend implements. It is storage-oriented: a backend owns buffers
// and runs a fixed set of kernels on strided views of them. Everything a user calls (broadcasting,
// dtype promotion, autograd, composite ops) lives above this file, so adding a backend means
// implementing this interface and nothing else. Inputs handed to a kernel share one dtype unless a
// kernel says otherwise; outputs are written into views the caller allocated.

import type { DType, TypedArray } from "../core/dtype.js";
import type { ArgReduceOp, BinaryOp, ParamUnaryOp, ReduceOp, UnaryOp } from "./op-vocabulary.js";

/** A backend's handle to one allocation. The cpu backend's buffers are plain typed arrays. */
export type Buffer = unknown;

/** A strided window onto a buffer: element (i0, i1, …) lives at offset + Σ ik·strides[k]. */
export interface View {
  readonly buf: Buffer;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

// The op names of unary, paramUnary, binary, reduce and argReduce, with their attributes (which
// write bool, which turn integers into floats), are the table in op-vocabulary.ts.
export type { ArgReduceOp, BinaryOp, ParamUnaryOp, ReduceOp, UnaryOp } from "./op-vocabulary.js";

/** Resolved geometry of a 1d/2d/3d convolution or pooling window (one entry per spatial dim). */
export interface WindowParams {
  kernel: number[];
  stride: number[];
  padBefore: number[];
  padAfter: number[];
  dilation: number[];
}

export interface ConvParams extends WindowParams {
  groups: number;
}

export interface AvgPoolParams extends WindowParams {
  countIncludePad: boolean;
  divisorOverride?: number;
}

/**
 * One direction of one recurrent layer over a whole sequence (see Backend.recurrentForward).
 * Sizes: T steps, N batch rows, H hidden units, G gates (rnn 1, gru 3, lstm 4).
 */
export interface RecurrentParams {
  cell: "rnnTanh" | "rnnRelu" | "lstm" | "gru";
  /**
   * Rows active at each step, in step order (length T, non-increasing, each ≤ N): a packed batch
   * sorted by decreasing length. Row b takes part in step t only when b < batchSizes[t]; rows that
   * are not active keep their state (so a short sequence's final state is its own last step's)
   * and get zeros in hs. A padded batch has batchSizes all N.
   */
  batchSizes: readonly number[];
  /** Walk the steps from T − 1 down to 0 (the reverse direction of a bidirectional layer). */
  reverse: boolean;
}

/** Hyper-parameters of one fused Adam/AdamW update (see Backend.adamStep). */
export interface AdamStepParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** η / (1 − β1^t) and √(1 − β2^t): the bias corrections of step t. */
  stepSize: number;
  bias2Sqrt: number;
  /** AdamW: decay θ by (1 − ηλ) instead of adding λθ to the gradient. */
  decoupled: boolean;
  amsgrad: boolean;
  maximize: boolean;
}

/** Hyper-parameters of one fused SGD update (see Backend.sgdStep). */
export interface SgdStepParams {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
  /** The momentum buffer is new: it takes the (decayed) gradient as it is. */
  firstStep: boolean;
}

export type LossReduction = "none" | "sum" | "mean";

export interface Backend {
  readonly name: string;
  /** Whether buffers can be read without awaiting (the cpu and native backends can). */
  readonly syncReadable: boolean;
  /**
   * Whether buffers are JavaScript objects the garbage collector reclaims by itself (typed arrays).
   * Tensors on such a backend skip the FinalizationRegistry: its held values would keep dropped
   * buffers alive until the event loop turns, so a long synchronous loop would grow memory.
   */
  readonly gcManaged: boolean;
  /**
   * True when indexAdd/scatterAdd may add the contributions to one element in an unspecified order
   * (atomics: cuda), so repeated indices can give results that differ run to run in the last bits.
   * Absent or false: each element receives its contributions in ascending index position, as cpu.
   * Ops that promise determinism (embedding's backward) check it.
   */
  readonly unorderedAdds?: boolean;

  // ---- storage -----------------------------------------------------------------------------
  /**
   * A new buffer of `size` elements, zero-filled — unless `uninitialized` is true, which says the
   * caller writes every element itself (a kernel output), so the contents may be anything.
   * Kernels therefore write every element of their outputs, accumulating ones included.
   */
  alloc(dtype: DType, size: number, uninitialized?: boolean): Buffer;
  /** Adopt (cpu) or upload (device) host data as a new buffer. */
  fromHost(data: TypedArray): Buffer;
  free(buf: Buffer): void;
  /** Host copy of `size` elements starting at `offset`. */
  readSync(buf: Buffer, dtype: DType, offset: number, size: number): TypedArray;
  read(buf: Buffer, dtype: DType, offset: number, size: number): Promise<TypedArray>;

  // ---- data movement -----------------------------------------------------------------------
  /** Strided copy; also the cast kernel (x and out may differ in dtype). */
  copy(x: View, out: View): void;
  fill(out: View, value: number): void;

  // ---- elementwise -------------------------------------------------------------------------
  unary(op: UnaryOp, x: View, out: View): void;
  paramUnary(op: ParamUnaryOp, x: View, out: View, params: readonly number[]): void;
  /** a and b are already broadcast to out's shape (stride 0 on broadcast dims). Comparisons write bool. */
  binary(op: BinaryOp, a: View, b: View, out: View): void;
  /** cond is bool; a, b, out share a dtype; all broadcast to out's shape. */
  where(cond: View, a: View, b: View, out: View): void;

  // ---- reductions --------------------------------------------------------------------------
  /** Reduce over `axes`; out has x's rank with the reduced dims of size 1 (keepdim layout). */
  reduce(op: ReduceOp, x: View, axes: readonly number[], out: View): void;
  /** Index (int32) of the max/min along one axis; first occurrence wins, like PyTorch. */
  argReduce(op: ArgReduceOp, x: View, axis: number, out: View): void;

  // ---- linear algebra ----------------------------------------------------------------------
  /** out[..., M, N] = a[..., M, K] · b[..., K, N]; batch dims of a and b already broadcast. */
  matmul(a: View, b: View, out: View): void;

  // ---- convolution (x: [N, C, ...spatial] contiguous; w: [Cout, Cin/groups, ...k]) ------------
  /** With a bias ([Cout], any stride): out = conv(x, w) + bias[c], added as one float op per element. */
  conv(x: View, w: View, out: View, p: ConvParams, bias?: View | null): void;
  /**
   * Optional fusion of conv (with bias), relu and a 2×2 stride-2 max pool (pool: its window): pooled
   * and indices as maxPool(conv(x, w, bias), afterRelu) gives them, without writing the conv's
   * output. Returns false, having written nothing, for geometry it does not fuse; the caller then
   * runs the kernels one by one.
   */
  convReluMaxPool?(x: View, w: View, bias: View | null, p: ConvParams, pooled: View, indices: View, pool: WindowParams): boolean;
  convBackwardData(gy: View, w: View, gx: View, p: ConvParams): void;
  /** With gb ([Cout], any stride): also the bias gradient, gb[c] = Σ over n and positions of gy[n, c, …]. */
  convBackwardFilter(x: View, gy: View, gw: View, p: ConvParams, gb?: View | null): void;

  // ---- pooling (x: [N, C, ...spatial] contiguous) --------------------------------------------
  /**
   * indices (int32) receives the flat spatial index of each window's max, for backward. With
   * afterRelu the result is that of maxPool(relu(x)) and its backward in one pass: out = relu(max),
   * and a window whose max is not positive (or NaN) gets index -1, so its gradient is relu's zero.
   */
  maxPool(x: View, out: View, indices: View, p: WindowParams, afterRelu?: boolean): void;
  maxPoolBackward(gy: View, indices: View, gx: View): void;
  avgPool(x: View, out: View, p: AvgPoolParams): void;
  avgPoolBackward(gy: View, gx: View, p: AvgPoolParams): void;
  /** Adaptive pooling: window i spans floor(i·L/O) .. ceil((i+1)·L/O) per spatial dim. */
  adaptiveAvgPool(x: View, out: View): void;
  adaptiveAvgPoolBackward(gy: View, gx: View): void;
  adaptiveMaxPool(x: View, out: View, indices: View): void;

  // ---- softmax along one axis ----------------------------------------------------------------
  softmax(x: View, axis: number, out: View, log: boolean): void;
  /** Given y = (log)softmax(x) and dy, write dx. */
  softmaxBackward(y: View, gy: View, axis: number, gx: View, log: boolean): void;

  // ---- normalisation -----------------------------------------------------------------------
  /**
   * Per-row moments of x viewed as [rows, cols] contiguous: mean[r] and rstd[r] = 1/sqrt(var+eps)
   * (biased variance). Batch norm uses it on the channel-major layout, layer/group norm directly.
   */
  moments(x: View, rows: number, cols: number, eps: number, mean: View, rstd: View): void;
  /**
   * Batch norm on x [N, C, S]: y = (x - mean[c]) * rstd[c] * w[c] + b[c] (w, b optional).
   */
  batchNormApply(x: View, mean: View, rstd: View, weight: View | null, bias: View | null, out: View): void;
  /** Gradients of batchNormApply in training mode (mean/rstd are the batch's own statistics). */
  batchNormBackward(
    gy: View, x: View, mean: View, rstd: View, weight: View | null,
    gx: View, gWeight: View | null, gBias: View | null,
  ): void;
  /** Per-channel mean and biased variance of x [N, C, S] (batch statistics). */
  channelMoments(x: View, mean: View, variance: View): void;

  // ---- indexing (index views are int32) -------------------------------------------------------
  indexSelect(x: View, axis: number, index: View, out: View): void;
  /** out[..., index[i], ...] += src[..., i, ...] along axis (the backward of indexSelect). */
  indexAdd(out: View, axis: number, index: View, src: View): void;
  gather(x: View, axis: number, index: View, out: View): void;
  scatterAdd(out: View, axis: number, index: View, src: View): void;

  // ---- random (counter-based, so every backend draws the same numbers for a seed) -----------
  /** Fill with U[0,1) ("uniform") or N(0,1) ("normal") from Philox4x32-10 at (seed, offset). */
  random(out: View, dist: "uniform" | "normal", seed: bigint, offset: bigint): void;

  // ---- optional fused kernels: callers check for them and fall back to composite ops -----------
  /**
   * One Adam/AdamW update of a parameter in place (param, expAvg, expAvgSq and maxExpAvgSq updated;
   * the last only with amsgrad). All views contiguous float32 of one size, in distinct buffers.
   */
  adamStep?(param: View, grad: View, expAvg: View, expAvgSq: View, maxExpAvgSq: View | null, p: AdamStepParams): void;
  /** One SGD update in place; momentumBuffer is null without momentum. Same layout rules as adamStep. */
  sgdStep?(param: View, grad: View, momentumBuffer: View | null, p: SgdStepParams): void;
  /**
   * A recurrent layer's whole sequence in one call, one direction (torch's gate order: lstm i, f,
   * g, o; gru r, z, n). All views contiguous float32, in distinct buffers:
   * - xProj [T, N, G·H]: x_t·W_ihᵀ + b_ih for every step (plus b_hh, except for gru, whose n gate
   *   needs b_hn inside r ⊙ (·));
   * - whh [G·H, H]; bhh [G·H] for gru, else null;
   * - h0 [N, H]; c0 [N, H] for lstm, else null;
   * - writes hs [T, N, H] (zeros where a row is not active), cs [T, N, H] for lstm (else null), and
   *   saved [T, N, S·H]: what the backward needs (rnn S = 1: nothing beyond hs, may be a 0-size
   *   view; lstm S = 4: i, f, g, o after their nonlinearities; gru S = 4: r, z, n and W_hn·h + b_hn).
   * Returns false, having written nothing, when it does not take these operands; the caller then
   * runs the composite ops step by step (the reference, which the cpu backend always uses).
   */
  recurrentForward?(
    p: RecurrentParams, xProj: View, whh: View, bhh: View | null, h0: View, c0: View | null, hs: View, cs: View | null, saved: View,
  ): boolean;
  /**
   * Backward of recurrentForward through time. gHs [T, N, H] is the gradient of hs, with the final
   * state's gradient already added at each row's last active step; gCs [T, N, H] (lstm, else null)
   * likewise for the cell states (zeros but at the final steps). Writes gXProj [T, N, G·H], gWhh
   * [G·H, H] and gBhh [G·H] (gru, else null) — overwritten, not accumulated — and gH0, gC0 [N, H].
   * Same operand rules and return value as recurrentForward.
   */
  recurrentBackward?(
    p: RecurrentParams, whh: View, bhh: View | null, h0: View, c0: View | null, hs: View, cs: View | null, saved: View,
    gHs: View, gCs: View | null, gXProj: View, gWhh: View, gBhh: View | null, gH0: View, gC0: View | null,
  ): boolean;
  /**
   * Softmax cross-entropy of logits [N, C] (contiguous float32) against int32 class indices [N]:
   * writes each row's log-sum-exp to logSumExp [N] and the loss to out ([N] for "none", one
   * element otherwise; "mean" divides by the samples whose target is not ignoreIndex).
   */
  crossEntropy?(logits: View, target: View, ignoreIndex: number, reduction: LossReduction, out: View, logSumExp: View): void;
  /** Gradient of crossEntropy with respect to the logits, given the loss gradient gy (shaped as out). */
  crossEntropyBackward?(
    logits: View, target: View, logSumExp: View, ignoreIndex: number, reduction: LossReduction, gy: View, gx: View,
  ): void;
  // ---- optional detection kernels (torchvision.ops): src/detection/ runs its JavaScript kernels
  // (host-kernels.ts) when a backend has none or declines (returns false) ---------------------------
  /**
   * Greedy non-maximum suppression of boxes [n, 4] (x1, y1, x2, y2) by scores [n], both contiguous
   * float32: writes the kept indices, by descending score (ties: lower index first), to the front
   * of keep (int32 [n]) and returns how many; -1 when it declines.
   */
  nms?(boxes: View, scores: View, iouThreshold: number, keep: View): number;
  /** RoI Align of x [N, C, H, W] over rois [K, 5] into out [K, C, ph, pw]; contiguous float32 only. */
  roiAlign?(x: View, rois: View, p: RoIAlignParams, out: View): boolean;
  /** Gradient of roiAlign: adds into gx [N, C, H, W], which the caller zeroed. */
  roiAlignBackward?(gy: View, rois: View, p: RoIAlignParams, gx: View): boolean;
  /** RoI max pooling into out [K, C, ph, pw] and argmax (int32, flat index in the H·W plane, -1: empty bin). */
  roiPool?(x: View, rois: View, p: RoIPoolParams, out: View, argmax: View): boolean;
  /** Gradient of roiPool: adds gy at each argmax into gx [N, C, H, W], which the caller zeroed. */
  roiPoolBackward?(gy: View, rois: View, argmax: View, gx: View): boolean;
}

/** Geometry of roiAlign (torchvision's arguments). */
export interface RoIAlignParams {
  pooledHeight: number;
  pooledWidth: number;
  spatialScale: number;
  /** Samples per bin side; ≤ 0 means ceil(roi size / pooled size), adaptive per RoI. */
  samplingRatio: number;
  aligned: boolean;
}

/** Geometry of roiPool. */
export interface RoIPoolParams {
  pooledHeight: number;
  pooledWidth: number;
  spatialScale: number;
}
