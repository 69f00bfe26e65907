// nb.distributed's collectives on tensors (float32/int32, any backend): a tensor is copied to a host
// array, the addon reduces it on its worker thread, and the result is written back in place (or
// into new tensors). Each has a promise form and a blocking *Sync form (for code that cannot await,
// such as a layer's forward: nn.SyncBatchNorm); both keep the call order across ranks.
import { tensor } from "../tensor/creation.js";
import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import "../ops/elementwise.js";
import type { HostArray } from "./addon.js";
import { hostCopy, lendStorage, writeFrom } from "./host-copies.js";
import { currentGroup, OP_CODES, type Group } from "./process-group.js";
import type { ArrayReduceOp } from "./state.js";

export type ReduceOp = ArrayReduceOp;

/** The array an in-place collective works on, how many collectives use it, and t's lent storage. */
interface Flight {
  values: HostArray;
  count: number;
  lent: { release(): void } | null;
}

/**
 * Tensors with an in-place collective in flight. A later collective on the same tensor works on the
 * same array (the worker runs them in order), so it sees the earlier one's result; a copied tensor
 * is written once, when the last of them completes.
 */
const inFlight = new WeakMap<Tensor, Flight>();

function checkTensor(t: Tensor, where: string): void {
  if (!(t instanceof Tensor)) throw new TypeError(`${where}: expected a tensor, got ${typeof t}`);
  if (t.dtype !== "float32" && t.dtype !== "int32") throw new TypeError(`${where}: tensors must be float32 or int32, got ${t.dtype} of shape ${formatShape(t.shape)}`);
}

function checkOp(op: ReduceOp, t: Tensor, where: string): void {
  if (!(op in OP_CODES)) throw new Error(`${where}: op must be "sum", "mean", "max" or "min", got "${String(op)}"`);
  if (op === "mean" && t.dtype !== "float32") throw new TypeError(`${where}: op "mean" needs a float32 tensor, got ${t.dtype}`);
}

/** t's values in a host array of our own (or the array of its collective in flight), to read. */
function readHost(t: Tensor): HostArray | Promise<HostArray> {
  const flying = inFlight.get(t);
  if (flying) return flying.values;
  return t.backend.syncReadable ? hostCopy(t) : (t.data() as Promise<HostArray>);
}

function readHostSync(t: Tensor, where: string): HostArray {
  const flying = inFlight.get(t);
  if (flying) return flying.values;
  if (!t.backend.syncReadable) throw new Error(`${where}: the ${t.backend.name} backend cannot be read synchronously; use the promise form`);
  return hostCopy(t);
}

/** The array an in-place collective on t works on: its flight's, its own storage, or a copy. */
function flightOf(t: Tensor): Flight | Promise<Flight> {
  const flying = inFlight.get(t);
  if (flying) return flying;
  const lent = lendStorage(t);
  if (lent) return { values: lent.values, count: 0, lent };
  if (t.backend.syncReadable) return { values: hostCopy(t), count: 0, lent: null };
  return (t.data() as Promise<HostArray>).then((values) => ({ values, count: 0, lent: null }));
}

/** Runs an in-place collective on t; a copied t is written when the last collective on it completes. */
function inPlace(g: Group, where: string, t: Tensor, launch: (values: HostArray) => Promise<void>): Promise<Tensor> {
  return g.submitter.run(where, () => flightOf(t), async (flight) => {
    flight.count++;
    inFlight.set(t, flight);
    let failed = false;
    try {
      await launch(flight.values);
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      if (--flight.count === 0) {
        inFlight.delete(t);
        if (flight.lent) flight.lent.release();
        else if (!failed) writeFrom(t, flight.values, 0, true);
      }
    }
    return t;
  });
}

/** The blocking form of inPlace. */
function inPlaceSync(g: Group, where: string, t: Tensor, run: (values: HostArray) => void): Tensor {
  return g.submitter.runNow(where, () => {
    const flying = inFlight.get(t);
    if (!flying && !t.backend.syncReadable) throw new Error(`${where}: the ${t.backend.name} backend cannot be read synchronously; use the promise form`);
    const flight = flying ?? (flightOf(t) as Flight);
    try {
      run(flight.values);
    } finally {
      if (!flying) flight.lent?.release();
    }
    // A copy is written now (values of a flight in progress stay with it: copied, not adopted).
    if (!flight.lent) writeFrom(t, flight.values, 0, !flying);
    return t;
  });
}

/** Reduces t over all ranks, in place (every rank gets the result); resolves to t. */
export function allReduce(t: Tensor, op: ReduceOp = "sum"): Promise<Tensor> {
  const where = "distributed.allReduce";
  const g = currentGroup("allReduce");
  checkTensor(t, where);
  checkOp(op, t, where);
  return inPlace(g, where, t, (values) => g.addon.allReduce(values, OP_CODES[op], false) as Promise<void>);
}

/** allReduce, returning when done. */
export function allReduceSync(t: Tensor, op: ReduceOp = "sum"): Tensor {
  const where = "distributed.allReduceSync";
  const g = currentGroup("allReduceSync");
  checkTensor(t, where);
  checkOp(op, t, where);
  return inPlaceSync(g, where, t, (values) => void g.addon.allReduce(values, OP_CODES[op], true));
}

function checkSrc(g: Group, src: number, where: string): void {
  if (!Number.isInteger(src) || src < 0 || src >= g.worldSize) throw new RangeError(`${where}: src must be a rank in 0 … ${g.worldSize - 1}, got ${src}`);
}

/** Copies rank src's t into every rank's t, in place; resolves to t. */
export function broadcast(t: Tensor, src: number): Promise<Tensor> {
  const where = "distributed.broadcast";
  const g = currentGroup("broadcast");
  checkTensor(t, where);
  checkSrc(g, src, where);
  return inPlace(g, where, t, (values) => g.addon.broadcast(values, src, false) as Promise<void>);
}

/** broadcast, returning when done. */
export function broadcastSync(t: Tensor, src: number): Tensor {
  const where = "distributed.broadcastSync";
  const g = currentGroup("broadcastSync");
  checkTensor(t, where);
  checkSrc(g, src, where);
  return inPlaceSync(g, where, t, (values) => void g.addon.broadcast(values, src, true));
}

const newLike = (values: HostArray, n: number): HostArray => (values instanceof Float32Array ? new Float32Array(n) : new Int32Array(n));

function gathered(g: Group, t: Tensor, out: HostArray): Tensor[] {
  const n = t.numel();
  return Array.from({ length: g.worldSize }, (_, r) => tensor(out.subarray(r * n, (r + 1) * n), { shape: t.shape, dtype: t.dtype, device: t.device }));
}

/** Every rank's t (all of the same shape and dtype), in rank order. */
export function allGather(t: Tensor): Promise<Tensor[]> {
  const where = "distributed.allGather";
  const g = currentGroup("allGather");
  checkTensor(t, where);
  return g.submitter.run(where, () => readHost(t), async (values) => {
    const out = newLike(values, values.length * g.worldSize);
    await g.addon.allGather(values, out, false);
    return gathered(g, t, out);
  });
}

/** allGather, returning when done. */
export function allGatherSync(t: Tensor): Tensor[] {
  const where = "distributed.allGatherSync";
  const g = currentGroup("allGatherSync");
  checkTensor(t, where);
  return g.submitter.runNow(where, () => {
    const values = readHostSync(t, where);
    const out = newLike(values, values.length * g.worldSize);
    g.addon.allGather(values, out, true);
    return gathered(g, t, out);
  });
}

/** What reduceScatter sends: the rank parts, their element counts, and the shape of this rank's part. */
interface ScatterPlan {
  parts: Tensor[];
  counts: Int32Array;
  shape: number[];
  dtype: Tensor["dtype"];
}

function planScatter(g: Group, input: Tensor | Tensor[], op: ReduceOp, where: string): ScatterPlan {
  if (Array.isArray(input)) {
    if (input.length !== g.worldSize) throw new RangeError(`${where}: expected a list of ${g.worldSize} tensors (one per rank), got ${input.length}`);
    input.forEach((t) => checkTensor(t, where));
    const { dtype, device } = input[0];
    input.forEach((t, r) => {
      if (t.dtype !== dtype || t.device !== device) throw new TypeError(`${where}: tensor ${r} is ${t.dtype} on ${t.device}, tensor 0 is ${dtype} on ${device}; all must match`);
      if (inFlight.has(t)) throw new Error(`${where}: tensor ${r} has a collective in flight; await it first`);
    });
    checkOp(op, input[0], where);
    return { parts: input, counts: Int32Array.from(input, (t) => t.numel()), shape: [...input[g.rank].shape], dtype };
  }
  checkTensor(input, where);
  checkOp(op, input, where);
  if (input.ndim === 0 || input.shape[0] % g.worldSize !== 0) {
    throw new RangeError(`${where}: dim 0 of the input (shape ${formatShape(input.shape)}) must divide by the world size ${g.worldSize}; pass a list of ${g.worldSize} tensors for unequal parts`);
  }
  const each = input.numel() / g.worldSize;
  return { parts: [input], counts: new Int32Array(g.worldSize).fill(each), shape: [input.shape[0] / g.worldSize, ...input.shape.slice(1)], dtype: input.dtype };
}

/** The parts packed one after the other (or the single tensor's own array). */
function packParts(parts: HostArray[]): HostArray {
  if (parts.length === 1) return parts[0];
  const out = newLike(parts[0], parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function scatteredPart(g: Group, plan: ScatterPlan, out: HostArray, device: string): Tensor {
  return tensor(out.subarray(0, plan.counts[g.rank]), { shape: plan.shape, dtype: plan.dtype, device });
}

/**
 * Reduces over the ranks and gives each rank its part: of a tensor split along dim 0 into
 * worldSize equal parts (rank r gets part r, shape [n / worldSize, ...]), or of a list of worldSize
 * tensors (rank r gets the reduction of everyone's tensor r; the parts may differ in size, but every
 * rank passes the same shapes). Gloo's reduce-scatter (recursive halving).
 */
export function reduceScatter(input: Tensor | Tensor[], op: ReduceOp = "sum"): Promise<Tensor> {
  const where = "distributed.reduceScatter";
  const g = currentGroup("reduceScatter");
  const plan = planScatter(g, input, op, where);
  const device = plan.parts[0].device;
  return g.submitter.run(where, () => {
    const reads = plan.parts.map(readHost);
    return reads.some((r) => r instanceof Promise) ? Promise.all(reads).then(packParts) : packParts(reads as HostArray[]);
  }, async (values) => {
    const out = newLike(values, values.length);
    await g.addon.reduceScatter(values, out, plan.counts, OP_CODES[op], false);
    return scatteredPart(g, plan, out, device);
  });
}

/** reduceScatter, returning when done. */
export function reduceScatterSync(input: Tensor | Tensor[], op: ReduceOp = "sum"): Tensor {
  const where = "distributed.reduceScatterSync";
  const g = currentGroup("reduceScatterSync");
  const plan = planScatter(g, input, op, where);
  return g.submitter.runNow(where, () => {
    const values = packParts(plan.parts.map((t) => readHostSync(t, where)));
    const out = newLike(values, values.length);
    g.addon.reduceScatter(values, out, plan.counts, OP_CODES[op], true);
    return scatteredPart(g, plan, out, plan.parts[0].device);
  });
}

/** Resolves once every rank has reached it. */
export function barrier(): Promise<void> {
  const g = currentGroup("barrier");
  return g.submitter.run("distributed.barrier", () => null, () => g.addon.barrier(false) as Promise<void>);
}

/** barrier, returning when every rank has reached it. */
export function barrierSync(): void {
  const g = currentGroup("barrierSync");
  g.submitter.runNow("distributed.barrierSync", () => g.addon.barrier(true));
}
