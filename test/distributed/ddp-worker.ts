// One rank of the DistributedDataParallel test: a small MLP trained for a few SGD steps on this
// rank's shard of each global batch. Rank 0 also trains a copy in one process on the whole batch.
// Each rank starts from different weights (seeded by rank) so the start-up broadcast matters.
// Prints one JSON line: this rank's final weights, and rank 0's single-process weights.
import * as nb from "../../src/index.js";

const F = nb.nn.functional;
await nb.distributed.initProcessGroup({ timeoutMs: 20000 });
const rank = nb.distributed.getRank();
const world = nb.distributed.getWorldSize();
const steps = 4, globalBatch = 12;

const makeModel = (seed: number) => {
  nb.manualSeed(seed);
  return new nb.nn.Sequential(new nb.nn.Linear(5, 8), new nb.nn.Tanh(), new nb.nn.Linear(8, 2));
};
nb.manualSeed(1234);
const xs = nb.randn([steps, globalBatch, 5]);
const ys = nb.randn([steps, globalBatch, 2]);
const weights = (m: nb.nn.Module) => m.parameters().map((p) => Array.from(p.dataSync()));

const ddp = await nb.nn.parallel.DistributedDataParallel.create(makeModel(100 + rank));
const opt = new nb.optim.SGD(ddp.parameters(), { lr: 0.1 });
const shard = globalBatch / world;
for (let s = 0; s < steps; s++) {
  const x = xs.narrow(0, s, 1).squeeze(0).narrow(0, rank * shard, shard);
  const y = ys.narrow(0, s, 1).squeeze(0).narrow(0, rank * shard, shard);
  opt.zeroGrad();
  F.mseLoss(ddp.forward(x) as nb.Tensor, y).backward();
  await ddp.syncGradients();
  opt.step();
}
let single: number[][] | null = null;
if (rank === 0) {
  const ref = makeModel(100);
  const refOpt = new nb.optim.SGD(ref.parameters(), { lr: 0.1 });
  for (let s = 0; s < steps; s++) {
    refOpt.zeroGrad();
    F.mseLoss(ref.forward(xs.narrow(0, s, 1).squeeze(0)) as nb.Tensor, ys.narrow(0, s, 1).squeeze(0)).backward();
    refOpt.step();
  }
  single = weights(ref);
}
await nb.distributed.destroyProcessGroup();
console.log(JSON.stringify({ rank, weights: weights(ddp), single }));
