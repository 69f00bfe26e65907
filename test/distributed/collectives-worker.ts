// One rank of the collectives test (launched by runCommand from collectives.test.ts): prints one
// JSON line with what the collectives gave. DIST_CASE=die: rank 1 exits before the collective;
// DIST_CASE=hang: rank 1 exits and the others sleep.
import * as nb from "../../src/index.js";

const dist = nb.distributed;
await dist.initProcessGroup({ backend: "gloo", timeoutMs: Number(process.env.DIST_TIMEOUT_MS ?? 20000) });
const rank = dist.getRank();
const world = dist.getWorldSize();

if (process.env.DIST_CASE === "hang") {
  // Rank 1 fails; the others would wait far longer than the test: the launcher must stop them.
  if (rank === 1) process.exit(3);
  await new Promise((resolve) => setTimeout(resolve, 120_000));
}

if (process.env.DIST_CASE === "die") {
  if (rank === 1) process.exit(3);
  const started = Date.now();
  try {
    await dist.barrier();
    await dist.allReduce(nb.tensor([1, 2, 3]));
    console.log(JSON.stringify({ rank, error: null }));
  } catch (e) {
    console.log(JSON.stringify({ rank, error: (e as Error).message, ms: Date.now() - started }));
  }
  process.exit(7);
}

const out: Record<string, unknown> = { rank, world };
const x = nb.tensor([rank + 1, 10 * (rank + 1), -rank]);
out.sum = (await dist.allReduce(x.clone(), "sum")).toArray();
out.mean = (await dist.allReduce(x.clone(), "mean")).toArray();
out.max = (await dist.allReduce(x.clone(), "max")).toArray();
out.min = (await dist.allReduce(x.clone(), "min")).toArray();
out.intSum = (await dist.allReduce(nb.tensor([rank, 1], { dtype: "int32" }), "sum")).toArray();
out.broadcast = (await dist.broadcast(nb.tensor([[rank, rank], [rank, rank]]), world - 1)).toArray();
out.gathered = (await dist.allGather(nb.tensor([rank, rank * rank], { dtype: "int32" }))).map((t) => t.toArray());
// Queued without awaiting each: they must still run in order on every rank.
const a = nb.tensor([rank]);
const b = nb.tensor([2 * rank]);
await Promise.all([dist.allReduce(a), dist.allReduce(b), dist.barrier()]);
out.queued = [a.item(), b.item()];
// The same tensor twice without awaiting: the second works on the first's result.
const twice = nb.tensor([rank + 1]);
await Promise.all([dist.allReduce(twice), dist.allReduce(twice)]);
out.twice = twice.item();
// Reduced in its own storage: a dispose while in flight must not free the memory under the worker.
const disposed = nb.ones([4096]);
const flying = dist.allReduce(disposed);
disposed.dispose();
out.disposedInFlight = await flying.then(() => "resolved", (e) => String(e));

// reduceScatter: rank r's input element k is (r + 1) * (k + 1); rank r gets rows 2r, 2r + 1.
const rsIn = () => nb.arange(0, 4 * world).add(1).mul(rank + 1).reshape([2 * world, 2]);
out.rsSum = (await dist.reduceScatter(rsIn())).toArray();
out.rsMean = (await dist.reduceScatter(rsIn(), "mean")).toArray();
out.rsMax = (await dist.reduceScatter(rsIn(), "max")).toArray();
out.rsMin = (await dist.reduceScatter(rsIn().neg(), "min")).toArray();
out.rsInt = (await dist.reduceScatter(rsIn().int())).toArray();
// Unequal parts (part k has 2k + 1 elements, one part empty) and a long one (halving over 1000 elements).
const parts = (sizes: number[]) => sizes.map((n, k) => nb.arange(0, n).add(100 * k).mul(rank + 1));
out.rsUneven = (await dist.reduceScatter(parts(Array.from({ length: world }, (_, k) => 2 * k + 1)))).toArray();
out.rsEmpty = (await dist.reduceScatter(parts(Array.from({ length: world }, (_, k) => (k === 1 ? 0 : 5))))).toArray();
out.rsLong = Array.from((await dist.reduceScatter(nb.arange(0, 1000 * world).mul(rank + 1))).dataSync());
// The blocking forms, between promise forms.
const pending = dist.allReduce(nb.tensor([rank]));
out.allReduceSync = dist.allReduceSync(nb.tensor([rank + 1, 1]), "max").toArray();
out.rsSync = dist.reduceScatterSync(rsIn()).toArray();
out.broadcastSync = dist.broadcastSync(nb.tensor([rank, rank]), 0).toArray();
out.allGatherSync = dist.allGatherSync(nb.tensor([rank])).map((t) => t.item());
dist.barrierSync();
out.pending = (await pending).item();
const message = (f: () => unknown) => {
  try {
    f();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
};
out.rsErrors = [
  message(() => dist.reduceScatter(nb.zeros([2 * world + 1]))),
  message(() => dist.reduceScatter([nb.zeros([1])])),
  message(() => dist.reduceScatter(nb.zeros([2 * world], { dtype: "int32" }), "mean")),
];
await dist.destroyProcessGroup();
console.log(JSON.stringify(out));
