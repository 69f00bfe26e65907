// One rank of test/distributed/sync-batch-norm.test.ts: a small CNN with BatchNorm2d and
// BatchNorm1d converted to SyncBatchNorm, wrapped in DistributedDataParallel, trained 2 SGD steps on
// this rank's half of each batch. Rank 0 also trains the unconverted model in one process on the
// whole batches. Prints one JSON line: outputs, gradients, running statistics and weights.
import * as nb from "../../src/index.js";

const F = nb.nn.functional;
await nb.distributed.initProcessGroup({ timeoutMs: 20000 });
const rank = nb.distributed.getRank();
const world = nb.distributed.getWorldSize();
const globalBatch = 8, shard = globalBatch / world, steps = 2;

const makeModel = () => {
  nb.manualSeed(5);
  return new nb.nn.Sequential(
    new nb.nn.Conv2d(2, 3, 3, { padding: 1 }), new nb.nn.BatchNorm2d(3), new nb.nn.ReLU(), new nb.nn.Flatten(),
    new nb.nn.Linear(48, 6), new nb.nn.BatchNorm1d(6, { momentum: null }), new nb.nn.Tanh(), new nb.nn.Linear(6, 2),
  );
};
nb.manualSeed(99);
// Channel means far from 0, where E[x²] − mean² would lose digits.
const xs = nb.randn([steps, globalBatch, 2, 4, 4]).mul(2).add(5);
const ys = nb.randn([steps, globalBatch, 2]);
const arrays = (ts: nb.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));
const stats = (m: nb.nn.Module) => arrays(m.buffers().filter((b) => b.dtype === "float32"));

interface Run { outputs: number[][]; grads: number[][]; xGrads: number[][]; stats: number[][]; weights: number[][] }

/** Trains model on rows [from, from + n) of each batch; x's gradient is kept for the first step. */
async function train(model: nb.nn.Module, from: number, n: number, sync: (() => Promise<void>) | null): Promise<Run> {
  const opt = new nb.optim.SGD(model.parameters(), { lr: 0.1 });
  const run: Run = { outputs: [], grads: [], xGrads: [], stats: [], weights: [] };
  for (let s = 0; s < steps; s++) {
    const x = xs.narrow(0, s, 1).squeeze(0).narrow(0, from, n).detach().requiresGrad_(true);
    const y = ys.narrow(0, s, 1).squeeze(0).narrow(0, from, n);
    opt.zeroGrad();
    const out = model.forward(x) as nb.Tensor;
    F.mseLoss(out, y).backward();
    if (sync) await sync();
    if (s === 0) {
      run.outputs = out.toArray() as number[][];
      run.grads = arrays(model.parameters().map((p) => p.grad!));
      run.xGrads = [Array.from(x.grad!.dataSync())];
    }
    opt.step();
  }
  run.stats = stats(model);
  run.weights = arrays(model.parameters());
  return run;
}

const plain = makeModel();
const keysBefore = [...plain.stateDict().keys()];
const converted = nb.nn.SyncBatchNorm.convertSyncBatchnorm(plain);
const kinds = converted.children().map((m) => m.constructor.name);
const sameKeys = JSON.stringify([...converted.stateDict().keys()]) === JSON.stringify(keysBefore);
const ddp = await nb.nn.parallel.DistributedDataParallel.create(converted);
const distributed = await train(ddp, rank * shard, shard, () => ddp.syncGradients());
let single: Run | null = null;
if (rank === 0) single = await train(makeModel(), 0, globalBatch, null);
await nb.distributed.destroyProcessGroup();
console.log(JSON.stringify({ rank, world, kinds, sameKeys, distributed, single }));
