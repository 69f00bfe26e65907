// nn.SyncBatchNorm (torch.nn.SyncBatchNorm): batch norm whose training statistics are those of the
// whole global batch, over every rank of nb.distributed's process group, instead of each rank's
// shard. Forward gathers every rank's per-channel mean, biased variance and count and combines them
// (Chan's parallel formula, in float64 on the host: no E[x²] − mean² cancellation); backward
// all-reduces the per-channel sums of dy and dy·x̂, so the input gradient is the one of the global
// batch. The running statistics get the global mean and unbiased variance, as torch's.
// Outside a process group (or with one rank), and in eval mode, it is plain batch norm.
// The collectives are the blocking ones: forward and backward cannot await.
import { formatShape } from "../core/shape.js";
import { noGrad } from "../autograd/grad-mode.js";
import { record } from "../autograd/node.js";
import { tensor } from "../tensor/creation.js";
import { Tensor } from "../tensor/tensor.js";
import { add_, mul_ } from "../ops/elementwise.js";
import "../ops/reduce.js";
import "../ops/view.js";
import { joinedGroup, type JoinedGroup } from "../distributed/state.js";
import type { Module } from "./module.js";
import { BatchNormNd, type BatchNormOptions } from "./normalization.js";

/** Batch norm over [N, C, ...] with statistics synchronised over the process group's ranks. */
export class SyncBatchNorm extends BatchNormNd {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts, [2, 3, 4, 5], "[N, C, ...]");
  }

  override forward(x: Tensor): Tensor {
    const g = joinedGroup();
    if (!this.training || !g || g.worldSize < 2) return super.forward(x);
    const { factor } = this.startForward(x);
    return syncBatchNormTrain(g, x, this, factor);
  }

  /**
   * Replaces every BatchNorm1d/2d/3d in module (module itself included) by a SyncBatchNorm sharing
   * its parameters, running statistics and mode; returns the converted module (the same object
   * unless module itself is a batch norm). processGroup: only the default group (omit it).
   */
  static convertSyncBatchnorm(module: Module, processGroup?: unknown): Module {
    if (processGroup !== undefined) {
      throw new Error("SyncBatchNorm.convertSyncBatchnorm: only the default process group is supported (omit processGroup); nb.distributed has no subgroups yet");
    }
    if (module instanceof BatchNormNd && !(module instanceof SyncBatchNorm)) return SyncBatchNorm.from(module);
    for (const [name, child] of module.namedChildren()) {
      const converted = SyncBatchNorm.convertSyncBatchnorm(child);
      if (converted !== child) module.addModule(name, converted);
    }
    return module;
  }

  private static from(bn: BatchNormNd): SyncBatchNorm {
    const sync = new SyncBatchNorm(bn.numFeatures, { eps: bn.eps, momentum: bn.momentum, affine: bn.affine, trackRunningStats: bn.trackRunningStats });
    const fields = sync as unknown as Record<string, unknown>;
    // The same Parameter and buffer objects, as torch's conversion: optimizers and state dicts keep working.
    fields.weight = bn.weight;
    fields.bias = bn.bias;
    fields.running_mean = bn.running_mean;
    fields.running_var = bn.running_var;
    fields.num_batches_tracked = bn.num_batches_tracked;
    sync.training = bn.training;
    return sync;
  }
}

/** Every rank's per-channel mean, biased variance and count, combined: the global batch's. */
function globalMoments(g: JoinedGroup, mean: Float32Array, variance: Float32Array, count: number): { mean: Float32Array; variance: Float32Array; count: number } {
  const C = mean.length;
  const mine = new Float32Array(2 * C + 1);
  mine.set(mean, 0);
  mine.set(variance, C);
  mine[2 * C] = count;
  const all = g.allGatherArraySync(mine);
  const outMean = new Float32Array(C), outVar = new Float32Array(C);
  let total = 0;
  for (let r = 0; r < g.worldSize; r++) total += all[r * (2 * C + 1) + 2 * C];
  for (let c = 0; c < C; c++) {
    let m = 0;
    for (let r = 0; r < g.worldSize; r++) {
      const at = r * (2 * C + 1);
      m += (all[at + 2 * C] / total) * all[at + c];
    }
    let v = 0;
    for (let r = 0; r < g.worldSize; r++) {
      const at = r * (2 * C + 1);
      const d = all[at + c] - m;
      v += (all[at + 2 * C] / total) * (all[at + C + c] + d * d);
    }
    outMean[c] = m;
    outVar[c] = v;
  }
  return { mean: outMean, variance: outVar, count: total };
}

function syncBatchNormTrain(g: JoinedGroup, x: Tensor, bn: BatchNormNd, factor: number): Tensor {
  const C = x.shape[1];
  const count = x.numel() / Math.max(C, 1);
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const channel = x.shape.map((s, i) => (i === 1 ? s : 1));
  const local = noGrad(() => {
    const m = x.mean(axes);
    const v = x.sub(m.reshape(channel)).square().mean(axes);
    return { mean: m.dataSync() as Float32Array, variance: v.dataSync() as Float32Array };
  });
  const stats = globalMoments(g, count > 0 ? local.mean : new Float32Array(C), count > 0 ? local.variance : new Float32Array(C), count);
  if (stats.count <= 1) {
    throw bn.layerError(`expected more than 1 value per channel over all ranks when training, got ${stats.count} (input of shape ${formatShape(x.shape)} on this rank)`);
  }
  const device = x.device;
  const mean = tensor(stats.mean, { device });
  const rstd = tensor(stats.variance.map((v) => 1 / Math.sqrt(v + bn.eps)), { device });
  if (bn.running_mean && bn.running_var) {
    const unbiased = tensor(stats.variance.map((v) => (v * stats.count) / (stats.count - 1)), { device });
    const rm = bn.running_mean, rv = bn.running_var;
    noGrad(() => {
      mul_(rm, 1 - factor);
      add_(rm, mean, { alpha: factor });
      mul_(rv, 1 - factor);
      add_(rv, unbiased, { alpha: factor });
    });
    unbiased.dispose();
  }
  const w = bn.weight, b = bn.bias;
  const out = noGrad(() => {
    let y = x.sub(mean.reshape(channel)).mul(rstd.reshape(channel));
    if (w) y = y.mul(w.reshape(channel));
    if (b) y = y.add(b.reshape(channel));
    return y;
  });
  const total = stats.count;
  const result = record("SyncBatchNormBackward", [x, w, b], out, (dy, saved, needs) => {
    const [sx, sMean, sRstd] = saved;
    const sw = w ? saved[3] : null;
    const xhat = sx.sub(sMean.reshape(channel)).mul(sRstd.reshape(channel));
    const sumDy = dy.sum(axes);
    const sumDyXhat = dy.mul(xhat).sum(axes);
    let gx: Tensor | null = null;
    if (needs[0]) {
      // The sums over the whole global batch: x's statistics depend on every rank's inputs.
      const packed = new Float32Array(2 * C);
      packed.set(sumDy.dataSync() as Float32Array, 0);
      packed.set(sumDyXhat.dataSync() as Float32Array, C);
      g.allReduceArraySync(packed, "sum");
      const meanDy = tensor(packed.subarray(0, C).map((v) => v / total), { device }).reshape(channel);
      const meanDyXhat = tensor(packed.subarray(C).map((v) => v / total), { device }).reshape(channel);
      let scale = sRstd.reshape(channel);
      if (sw) scale = scale.mul(sw.reshape(channel));
      gx = dy.sub(meanDy).sub(xhat.mul(meanDyXhat)).mul(scale);
    }
    // weight and bias: this rank's own sums, as torch (DistributedDataParallel averages them).
    return [gx, needs[1] ? sumDyXhat : null, needs[2] ? sumDy : null];
  }, w ? [x, mean, rstd, w] : [x, mean, rstd]);
  // The backward node keeps its own references.
  mean.dispose();
  rstd.dispose();
  return result;
}
