// One rank of the distributed nb.fit test: a small MLP fitted for 2 epochs with nb.fit on a
// DistributedDataParallel model (fit shards the data with a DistributedSampler, averages the
// gradients and the logs). Every rank gives a CSVLogger and a ModelCheckpoint a path of its own in
// argv[2]; only rank 0's files may appear. Rank 0 also fits a copy in one process on the whole
// batches. Prints one JSON line: weights, history, and rank 0's single-process weights and history.
import { join } from "node:path";
import * as nb from "../../src/index.js";

const dir = process.argv[2];
await nb.distributed.initProcessGroup({ timeoutMs: 20000 });
const rank = nb.distributed.getRank();
const world = nb.distributed.getWorldSize();
const globalBatch = 8, samples = 32, epochs = 2;

const makeModel = (seed: number) => {
  nb.manualSeed(seed);
  return new nb.nn.Sequential(new nb.nn.Linear(5, 8), new nb.nn.Tanh(), new nb.nn.Linear(8, 2));
};
nb.manualSeed(1234);
const x = nb.randn([samples, 5]);
const y = nb.randn([samples, 2]);
const weights = (m: nb.nn.Module) => m.parameters().map((p) => Array.from(p.dataSync()));
const plain = (h: nb.History) => ({ loss: h.loss, val_loss: h.val_loss });

const ddp = await nb.nn.parallel.DistributedDataParallel.create(makeModel(100 + rank));
const history = await nb.fit(ddp, {
  train: { x, y }, validation: { x, y }, epochs, batchSize: globalBatch / world, shuffle: false, verbose: 2,
  optimizer: new nb.optim.SGD(ddp.parameters(), { lr: 0.1 }), loss: "mse",
  callbacks: [
    new nb.callbacks.CSVLogger(join(dir, `history-${rank}.csv`)),
    new nb.callbacks.ModelCheckpoint({ path: join(dir, `best-${rank}.safetensors`), monitor: "loss", weightsOnly: true }),
  ],
});
let single: { weights: number[][]; history: ReturnType<typeof plain> } | null = null;
if (rank === 0) {
  const ref = makeModel(100);
  const h = await nb.fit(ref, {
    train: { x, y }, validation: { x, y }, epochs, batchSize: globalBatch, shuffle: false, verbose: 0,
    optimizer: new nb.optim.SGD(ref.parameters(), { lr: 0.1 }), loss: "mse",
  });
  single = { weights: weights(ref), history: plain(h) };
}
await nb.distributed.destroyProcessGroup();
console.log(JSON.stringify({ rank, weights: weights(ddp), history: plain(history), single }));
