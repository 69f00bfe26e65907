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
await dist.destroyProcessGroup();
console.log(JSON.stringify(out));
