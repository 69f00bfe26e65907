// All-reduce bandwidth of a 25 MB float32 gradient over Gloo on loopback (issue 22's benchmark,
// first part). `node --import tsx bench/distributed-allreduce.ts [nproc=2] [reps=10]` launches the
// ranks itself; rank 0 prints the best and median time per all-reduce and the algorithm bandwidth
// (bytes / time). PyTorch's figure: scripts in docs/distributed.md.
import { fileURLToPath } from "node:url";
import * as nb from "../src/index.js";
import { runCommand } from "../src/cli/run-command.js";

const nproc = Number(process.argv[2] ?? 2);
const reps = Number(process.argv[3] ?? 10);
if (process.env.RANK === undefined) {
  await runCommand({ nproc, script: fileURLToPath(import.meta.url), args: [String(nproc), String(reps)] });
} else {
  await nb.distributed.initProcessGroup({ backend: "gloo" });
  const x = nb.ones([25 * 1024 * 1024 / 4]);
  await nb.distributed.allReduce(x); // warm-up: connections, buffers
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    await nb.distributed.barrier();
    const t0 = performance.now();
    await nb.distributed.allReduce(x);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  if (nb.distributed.getRank() === 0) {
    const best = times[0], median = times[Math.floor(times.length / 2)];
    console.log(`nabla gloo all-reduce, 25 MB float32, ${nproc} ranks: best ${best.toFixed(1)} ms, median ${median.toFixed(1)} ms, ${(25 / 1.048576 / (median / 1000)).toFixed(0)} MB/s (median)`);
  }
  await nb.distributed.destroyProcessGroup();
}
