// nn.parallel.DistributedDataParallel: data-parallel training over nb.distributed's process group.
// Each rank holds a full copy of the model and trains on its own shard of every batch;
// `DistributedDataParallel.create` broadcasts rank 0's parameters and buffers so all copies start
// equal, and the gradients are averaged over the ranks so every rank takes the same step — the step
// one process would take on the whole global batch with a mean loss.
// As in torch, gradients go in buckets of at most bucketCapMb (the first one 1 MB), filled with the
// parameters in reverse order (roughly the order backward produces their gradients). A hook on
// every parameter (autograd's post-accumulate-grad hook) launches a bucket's all-reduce as soon as
// all its gradients are complete, while backward goes on; buckets are launched in order on every
// rank, and `syncGradients()` launches what is left and waits for them all before the optimizer
// step. Inside `noSync(fn)` backward only accumulates gradients locally. Buffers (batch norm's
// running statistics) are broadcast at creation only: batch norm stays per rank (nn.SyncBatchNorm
// synchronises its statistics instead).
import { checkOptions, optionNames } from "../../core/options.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { registerPostAccumulateGradHook } from "../../autograd/grad-hooks.js";
import { zeros } from "../../tensor/creation.js";
import { keep } from "../../tensor/scope.js";
import type { Tensor } from "../../tensor/tensor.js";
import "../../ops/elementwise.js";
import { joinedGroup, type JoinedGroup } from "../../distributed/state.js";
import { readInto, writeFrom } from "../../distributed/host-copies.js";
import { Module } from "../module.js";

export interface DistributedDataParallelOptions {
  /** Largest gradient bucket reduced in one collective, in MB (default 25, as torch). */
  bucketCapMb?: number;
  /** Launch each bucket's all-reduce during backward, as soon as its gradients are complete (default true). */
  overlap?: boolean;
}
const OPTIONS = optionNames<DistributedDataParallelOptions>({ bucketCapMb: 1, overlap: 1 });

/** The wrapper whose hooks are on a model's parameters: wrapping the model again replaces it. */
const wrapperOf = new WeakMap<Module, DistributedDataParallel>();

/** torch's first bucket: small, so that the first all-reduce starts early in backward. */
const FIRST_BUCKET_BYTES = 1024 * 1024;

function group(where: string): JoinedGroup {
  const g = joinedGroup();
  if (!g) throw new Error(`${where}: no process group; call await nb.distributed.initProcessGroup() first`);
  return g;
}

/**
 * The tensors' values packed one after the other into `into` (a bucket's array, reused every step):
 * at once when every backend reads synchronously.
 */
function pack(ts: Tensor[], into: Float32Array): Float32Array | Promise<Float32Array> {
  if (ts.every((t) => t.backend.syncReadable)) {
    let at = 0;
    for (const t of ts) {
      readInto(t, into, at);
      at += t.numel();
    }
    return into;
  }
  return Promise.all(ts.map((t) => t.data())).then((parts) => {
    let at = 0;
    for (const p of parts) {
      into.set(p, at);
      at += p.length;
    }
    return into;
  });
}

/** Writes packed back into the tensors, in place. */
function unpack(ts: Tensor[], packed: Float32Array): void {
  let at = 0;
  for (const t of ts) {
    writeFrom(t, packed, at);
    at += t.numel();
  }
}

interface Bucket {
  params: Tensor[];
  /** The bucket's gradients, packed for the all-reduce (allocated once). */
  packed: Float32Array;
  /** Parameters whose gradient is complete in this step. */
  ready: Set<Tensor>;
  launched: boolean;
}

export class DistributedDataParallel extends Module {
  readonly bucketCapMb: number;
  readonly overlap: boolean;
  private readonly names = new Map<Tensor, string>();
  private readonly buckets: Bucket[] = [];
  private readonly bucketOf = new Map<Tensor, Bucket>();
  /** The next bucket to launch: buckets go in order so every rank issues the same collectives. */
  private nextBucket = 0;
  private inFlight: Promise<void>[] = [];
  private syncing = true;
  private hooks: { remove(): void }[] = [];

  /** Use `await DistributedDataParallel.create(model)`: the constructor does not synchronise. */
  constructor(readonly module: Module, opts: DistributedDataParallelOptions = {}) {
    super();
    const where = "DistributedDataParallel";
    checkOptions(where, opts, OPTIONS);
    group(where);
    this.bucketCapMb = opts.bucketCapMb ?? 25;
    this.overlap = opts.overlap ?? true;
    if (!(this.bucketCapMb > 0)) throw new RangeError(`${where}: bucketCapMb must be positive, got ${opts.bucketCapMb}`);
    const trainable: Tensor[] = [];
    for (const [name, p] of module.namedParameters()) {
      if (p.dtype !== "float32") throw new TypeError(`${where}: parameter ${name} is ${p.dtype}; only float32 parameters are supported`);
      if (!p.requiresGrad || this.names.has(p)) continue;
      this.names.set(p, name);
      trainable.push(p);
    }
    this.makeBuckets(trainable.reverse());
    for (const old of wrapperOf.get(module)?.hooks.splice(0) ?? []) old.remove();
    wrapperOf.set(module, this);
    if (this.overlap) this.hooks = trainable.map((p) => registerPostAccumulateGradHook(p, (leaf) => this.gradReady(leaf)));
  }

  /** Wraps model and broadcasts rank 0's parameters and buffers to every rank. */
  static async create(model: Module, opts: DistributedDataParallelOptions = {}): Promise<DistributedDataParallel> {
    const ddp = new DistributedDataParallel(model, opts);
    await ddp.broadcastState(0);
    return ddp;
  }

  forward(...inputs: unknown[]): unknown {
    return (this.module.forward as (...a: unknown[]) => unknown)(...inputs);
  }

  /** Copies rank src's parameters and float32 buffers into every rank's model. */
  async broadcastState(src = 0): Promise<void> {
    const g = group("DistributedDataParallel.broadcastState");
    const ts = [...this.module.parameters(), ...this.module.buffers().filter((b) => b.dtype === "float32")];
    const cap = this.bucketCapMb * 1024 * 1024;
    for (const chunk of groupBySize(ts, cap, cap)) {
      const packed = await pack(chunk, new Float32Array(chunk.reduce((n, t) => n + t.numel(), 0)));
      await g.broadcastArray(packed, src);
      unpack(chunk, packed);
    }
  }

  /**
   * Runs fn with gradient synchronisation off (torch's no_sync): its backward passes only
   * accumulate gradients on this rank, and syncGradients() does nothing; the first synchronised
   * backward after it all-reduces the accumulated gradients. fn may be async (sync stays off until
   * its promise settles). Returns fn's result.
   */
  noSync<T>(fn: () => T): T {
    const before = this.syncing;
    this.syncing = false;
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.syncing = before;
      throw e;
    }
    if (result instanceof Promise) return result.finally(() => (this.syncing = before)) as T;
    this.syncing = before;
    return result;
  }

  /**
   * Averages every parameter's gradient over the ranks (sum, then ÷ world size): launches the
   * buckets backward has not launched yet and waits for all of them. Call it after loss.backward()
   * and before optimizer.step(), on every rank. A trainable parameter without a gradient gets a
   * zero one (every rank must send the same buckets). Inside noSync() it does nothing.
   */
  async syncGradients(): Promise<void> {
    const g = group("DistributedDataParallel.syncGradients");
    if (!this.syncing) return;
    noGrad(() => {
      for (const b of this.buckets) {
        for (const p of b.params) {
          if (!p.grad) p.grad = keep(zeros(p.shape, { dtype: "float32", device: p.device }));
          b.ready.add(p);
        }
      }
    });
    this.launchReady(g);
    const flying = this.inFlight;
    this.inFlight = [];
    this.nextBucket = 0;
    for (const b of this.buckets) {
      b.ready.clear();
      b.launched = false;
    }
    await Promise.all(flying);
  }

  /** How many gradient buckets there are. */
  get bucketCount(): number {
    return this.buckets.length;
  }

  /** How many buckets this step has launched so far (backward launches them with overlap on). */
  get bucketsLaunched(): number {
    return this.nextBucket;
  }

  /** The post-accumulate hook: p's gradient is complete for this backward pass. */
  private gradReady(p: Tensor): void {
    if (!this.syncing) return;
    const g = joinedGroup();
    if (!g) return;
    const b = this.bucketOf.get(p)!;
    if (b.launched) {
      throw new Error(
        `DistributedDataParallel: parameter ${this.names.get(p)} got a gradient again after its bucket was all-reduced in this step; ` +
          "await ddp.syncGradients() after each synchronised backward, or run the earlier backward passes inside ddp.noSync()",
      );
    }
    b.ready.add(p);
    if (b.ready.size === b.params.length) this.launchReady(g);
  }

  /** Launches the complete buckets from nextBucket on, in order. */
  private launchReady(g: JoinedGroup): void {
    while (this.nextBucket < this.buckets.length) {
      const b = this.buckets[this.nextBucket];
      if (b.ready.size < b.params.length) return;
      this.nextBucket++;
      b.launched = true;
      const grads = b.params.map((p) => p.grad as Tensor);
      const done = g.allReduceArray(pack(grads, b.packed), "mean").then((packed) => unpack(grads, packed as Float32Array));
      // A failure surfaces from syncGradients(), not as an unhandled rejection before it is awaited.
      done.catch(() => undefined);
      this.inFlight.push(done);
    }
  }

  private makeBuckets(params: Tensor[]): void {
    const cap = this.bucketCapMb * 1024 * 1024;
    for (const chunk of groupBySize(params, Math.min(cap, FIRST_BUCKET_BYTES), cap)) {
      const size = chunk.reduce((n, p) => n + p.numel(), 0);
      const bucket: Bucket = { params: chunk, packed: new Float32Array(size), ready: new Set(), launched: false };
      this.buckets.push(bucket);
      for (const p of chunk) this.bucketOf.set(p, bucket);
    }
  }
}

/** Consecutive float32 tensors grouped to at most firstCap bytes, then cap bytes (a larger tensor alone). */
function groupBySize(ts: Tensor[], firstCap: number, cap: number): Tensor[][] {
  const out: Tensor[][] = [];
  let current: Tensor[] = [];
  let bytes = 0;
  for (const t of ts) {
    const b = t.numel() * 4;
    if (current.length && bytes + b > (out.length === 0 ? firstCap : cap)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(t);
    bytes += b;
  }
  if (current.length) out.push(current);
  return out;
}
