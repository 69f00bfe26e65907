// DistributedDataParallel's noSync() and the all-reduce overlapped with backward, on 2 and 3 ranks
// started by the `nabla run` launcher (ddp-features-worker.ts). Skipped without the Gloo addon.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as nb from "../../src/index.js";
import { runCommand } from "../../src/cli/run-command.js";

const unavailable = nb.distributed.glooUnavailableReason();
const skip = unavailable ? `the Gloo addon is not built: ${unavailable}` : false;

interface Line {
  rank: number; launchedInNoSync: number; noSyncGradsDiffer: boolean; buckets: number; launchedByBackward: number; launchedWithoutOverlap: number;
  accumulated: number[][]; accumulatedNoOverlap: number[][]; single: number[][] | null; twiceError: string | null; rewrapped: number;
}

for (const n of [2]) {
  test(`${n} ranks: noSync accumulation over 2 micro-batches equals one synchronised step on the combined batch; buckets launched during backward`, { skip, timeout: 90_000 }, async () => {
    const outputs: string[] = Array(n).fill("");
    await runCommand({ nproc: n, script: fileURLToPath(new URL("./ddp-features-worker.ts", import.meta.url)), stdio: "pipe", onSpawn: (rank, child) => {
      child.stdout?.on("data", (d) => (outputs[rank] += d));
      child.stderr?.on("data", (d) => (outputs[rank] += d));
    } }).catch((e) => assert.fail(`${String(e)}\n${outputs.join("\n")}`));
    const lines = outputs.map((o) => JSON.parse(o.split("\n").find((l) => l.startsWith("{")) ?? "null") as Line);
    const single = lines[0].single!;
    for (const o of lines) {
      // Inside noSync nothing was launched and each rank kept its own gradients.
      assert.equal(o.launchedInNoSync, 0);
      assert.equal(o.noSyncGradsDiffer, true);
      // 6 parameters, a bucket each; the synchronised backward launched all of them before syncGradients.
      assert.equal(o.buckets, 6);
      assert.equal(o.launchedByBackward, 6);
      assert.equal(o.launchedWithoutOverlap, 0);
      assert.deepEqual(o.accumulated, lines[0].accumulated, `rank ${o.rank}'s weights differ from rank 0's`);
      o.accumulated.forEach((w, i) => w.forEach((v, j) => {
        assert.ok(Math.abs(v - single[i][j]) <= 1e-5, `parameter ${i}[${j}]: ${v} (noSync + DDP) vs ${single[i][j]} (one process)`);
        assert.ok(Math.abs(v - o.accumulatedNoOverlap[i][j]) <= 1e-6, `parameter ${i}[${j}]: ${v} (overlap) vs ${o.accumulatedNoOverlap[i][j]} (after backward)`);
      }));
      assert.equal(o.rewrapped, 6);
      assert.match(String(o.twiceError), /^DistributedDataParallel: parameter 4\.bias got a gradient again after its bucket was all-reduced in this step; await ddp\.syncGradients\(\)/);
    }
  });
}
