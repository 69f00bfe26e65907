// One rank of test/distributed/ddp.test.ts: DistributedDataParallel's noSync() (gradient
// accumulation), the all-reduce launched from inside backward (overlap), and the error for a second
// backward without syncGradients. Prints one JSON line.
import * as nb from "../../src/index.js";

const F = nb.nn.functional;
await nb.distributed.initProcessGroup({ timeoutMs: 20000 });
const rank = nb.distributed.getRank();
const world = nb.distributed.getWorldSize();
const shard = 3, features = 5;

const makeModel = (seed: number) => {
  nb.manualSeed(seed);
  return new nb.nn.Sequential(new nb.nn.Linear(features, 8), new nb.nn.Tanh(), new nb.nn.Linear(8, 6), new nb.nn.Tanh(), new nb.nn.Linear(6, 2));
};
const weights = (m: nb.nn.Module) => m.parameters().map((p) => Array.from(p.dataSync()));
const grads = (m: nb.nn.Module) => m.parameters().map((p) => Array.from(p.grad!.dataSync()));
nb.manualSeed(1234);
// Two micro-batches: micro-batch m of rank r is xs[m][r].
const xs = nb.randn([2, world, shard, features]);
const ys = nb.randn([2, world, shard, 2]);
const part = (t: nb.Tensor, m: number, r: number) => t.narrow(0, m, 1).squeeze(0).narrow(0, r, 1).squeeze(0);
const out: Record<string, unknown> = { rank };

// noSync: the first micro-batch's backward stays local, the second one's all-reduces the sum.
{
  // A bucket per parameter (tiny cap): several buckets, launched one by one during backward.
  const ddp = await nb.nn.parallel.DistributedDataParallel.create(makeModel(100 + rank), { bucketCapMb: 1e-6 });
  const opt = new nb.optim.SGD(ddp.parameters(), { lr: 0.1 });
  opt.zeroGrad();
  ddp.noSync(() => F.mseLoss(ddp.forward(part(xs, 0, rank)) as nb.Tensor, part(ys, 0, rank)).mul(0.5).backward());
  await ddp.noSync(async () => {
    await ddp.syncGradients(); // a no-op inside noSync
  });
  out.launchedInNoSync = ddp.bucketsLaunched;
  const local = grads(ddp);
  const gathered = await nb.distributed.allGather(nb.tensor(local.flat()));
  out.noSyncGradsDiffer = gathered.some((t) => t.dataSync().some((v, i) => v !== gathered[0].dataSync()[i]));
  F.mseLoss(ddp.forward(part(xs, 1, rank)) as nb.Tensor, part(ys, 1, rank)).mul(0.5).backward();
  out.buckets = ddp.bucketCount;
  out.launchedByBackward = ddp.bucketsLaunched;
  await ddp.syncGradients();
  opt.step();
  out.accumulated = weights(ddp);
}

// The same step without overlap (all buckets launched by syncGradients): the same weights.
{
  const ddp = await nb.nn.parallel.DistributedDataParallel.create(makeModel(100 + rank), { overlap: false });
  const opt = new nb.optim.SGD(ddp.parameters(), { lr: 0.1 });
  opt.zeroGrad();
  ddp.noSync(() => F.mseLoss(ddp.forward(part(xs, 0, rank)) as nb.Tensor, part(ys, 0, rank)).mul(0.5).backward());
  F.mseLoss(ddp.forward(part(xs, 1, rank)) as nb.Tensor, part(ys, 1, rank)).mul(0.5).backward();
  out.launchedWithoutOverlap = ddp.bucketsLaunched;
  await ddp.syncGradients();
  opt.step();
  out.accumulatedNoOverlap = weights(ddp);

  // A second synchronised backward before syncGradients: the error names the parameter.
  opt.zeroGrad();
  const overlapped = await nb.nn.parallel.DistributedDataParallel.create(makeModel(7), { bucketCapMb: 1e-6 });
  F.mseLoss(overlapped.forward(part(xs, 0, rank)) as nb.Tensor, part(ys, 0, rank)).backward();
  try {
    F.mseLoss(overlapped.forward(part(xs, 1, rank)) as nb.Tensor, part(ys, 1, rank)).backward();
    out.twiceError = null;
  } catch (e) {
    out.twiceError = (e as Error).message;
  }
  await overlapped.syncGradients();

  // Wrapping the same model again replaces the first wrapper's hooks: two steps without an error.
  const again = await nb.nn.parallel.DistributedDataParallel.create(overlapped.module, { bucketCapMb: 1e-6 });
  for (let s = 0; s < 2; s++) {
    F.mseLoss(again.forward(part(xs, s, rank)) as nb.Tensor, part(ys, s, rank)).backward();
    await again.syncGradients();
  }
  out.rewrapped = again.bucketCount;
}

// Rank 0: one process, one step on the whole combined batch (both micro-batches of every rank).
if (rank === 0) {
  const ref = makeModel(100);
  const opt = new nb.optim.SGD(ref.parameters(), { lr: 0.1 });
  opt.zeroGrad();
  F.mseLoss(ref.forward(xs.reshape([-1, features])) as nb.Tensor, ys.reshape([-1, 2])).backward();
  opt.step();
  out.single = weights(ref);
}
await nb.distributed.destroyProcessGroup();
console.log(JSON.stringify(out));
