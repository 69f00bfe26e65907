// nn.parallel.DistributedDataParallel: data-parallel training over nb.distributed's process group.
// Each rank holds a full copy of the model and trains on its own shard of every batch;
// `DistributedDataParallel.create` broadcasts rank 0's parameters and buffers so all copies start
// equal, and `syncGradients()` (after loss.backward(), before optimizer.step()) all-reduces the
// gradients and divides by the world size, so every rank takes the same step — the step one
// process would take on the whole global batch with a mean loss.
// First step (issue 22): gradients are reduced after the backward pass, in buckets of bucketCapMb,
// one bucket at a time — not yet overlapped with the backward pass as PyTorch's hooks do. Buffers
// (batch norm's running statistics) are broadcast at creation only: batch norm stays per rank.
import { checkOptions, optionNames } from "../../core/options.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { tensor, zeros } from "../../tensor/creation.js";
import { keep } from "../../tensor/scope.js";
import type { Tensor } from "../../tensor/tensor.js";
import "../../ops/elementwise.js";
import { joinedGroup, type JoinedGroup } from "../../distributed/state.js";
import { Module } from "../module.js";

export interface DistributedDataParallelOptions {
  /** Largest gradient bucket reduced in one collective, in MB (default 25, as torch). */
  bucketCapMb?: number;
}
const OPTIONS = optionNames<DistributedDataParallelOptions>({ bucketCapMb: 1 });

function group(where: string): JoinedGroup {
  const g = joinedGroup();
  if (!g) throw new Error(`${where}: no process group; call await nb.distributed.initProcessGroup() first`);
  return g;
}

/** Host copies of float32 tensors, packed one after the other, and written back in place. */
async function reducePacked(ts: Tensor[], run: (packed: Float32Array) => Promise<void>): Promise<void> {
  const parts = await Promise.all(ts.map((t) => t.data()));
  const packed = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    packed.set(p as Float32Array, at);
    at += p.length;
  }
  await run(packed);
  at = 0;
  noGrad(() => {
    for (const t of ts) {
      const n = t.numel();
      const src = tensor(packed.subarray(at, at + n), { shape: t.shape, dtype: "float32", device: t.device });
      t.copy_(src);
      src.dispose();
      at += n;
    }
  });
}

export class DistributedDataParallel extends Module {
  readonly bucketCapMb: number;

  /** Use `await DistributedDataParallel.create(model)`: the constructor does not synchronise. */
  constructor(readonly module: Module, opts: DistributedDataParallelOptions = {}) {
    super();
    const where = "DistributedDataParallel";
    checkOptions(where, opts, OPTIONS);
    group(where);
    this.bucketCapMb = opts.bucketCapMb ?? 25;
    if (!(this.bucketCapMb > 0)) throw new RangeError(`${where}: bucketCapMb must be positive, got ${opts.bucketCapMb}`);
    for (const [name, p] of module.namedParameters()) {
      if (p.dtype !== "float32") throw new TypeError(`${where}: parameter ${name} is ${p.dtype}; only float32 parameters are supported`);
    }
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
    for (const bucket of this.buckets(ts)) await reducePacked(bucket, (packed) => g.broadcastArray(packed, src));
  }

  /**
   * Averages every parameter's gradient over the ranks (sum, then ÷ world size). Call it after
   * loss.backward() and before optimizer.step(), on every rank. A trainable parameter without a
   * gradient gets a zero one (every rank must send the same buckets).
   */
  async syncGradients(): Promise<void> {
    const g = group("DistributedDataParallel.syncGradients");
    const params = this.module.parameters().filter((p) => p.requiresGrad);
    noGrad(() => {
      for (const p of params) if (!p.grad) p.grad = keep(zeros(p.shape, { dtype: "float32", device: p.device }));
    });
    const grads = params.map((p) => p.grad as Tensor);
    for (const bucket of this.buckets(grads)) {
      await reducePacked(bucket, async (packed) => {
        await g.allReduceArray(packed, "sum");
        for (let i = 0; i < packed.length; i++) packed[i] /= g.worldSize;
      });
    }
  }

  /** Consecutive tensors grouped so that each group holds at most bucketCapMb (a larger tensor alone). */
  private buckets(ts: Tensor[]): Tensor[][] {
    const cap = this.bucketCapMb * 1024 * 1024;
    const out: Tensor[][] = [];
    let current: Tensor[] = [];
    let bytes = 0;
    for (const t of ts) {
      const b = t.numel() * 4;
      if (current.length && bytes + b > cap) {
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
}
