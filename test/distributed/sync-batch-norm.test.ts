// nn.SyncBatchNorm: 2 ranks on half batches equal one process with BatchNorm on the whole batch
// (outputs, gradients, running statistics, weights after 2 SGD steps). Skipped without Gloo.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as nb from "../../src/index.js";
import { runCommand } from "../../src/cli/run-command.js";

const unavailable = nb.distributed.glooUnavailableReason();
const skip = unavailable ? `the Gloo addon is not built: ${unavailable}` : false;

interface Run { outputs: number[][]; grads: number[][]; xGrads: number[][]; stats: number[][]; weights: number[][] }
interface Line { rank: number; world: number; kinds: string[]; sameKeys: boolean; distributed: Run; single: Run | null }

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${what}: ${a} (SyncBatchNorm, 2 ranks) vs ${b} (BatchNorm, one process)`);

test("SyncBatchNorm on 2 ranks with half batches equals BatchNorm on the whole batch in one process", { skip, timeout: 90_000 }, async () => {
  const n = 2;
  const outputs: string[] = Array(n).fill("");
  await runCommand({ nproc: n, script: fileURLToPath(new URL("./sync-batch-norm-worker.ts", import.meta.url)), stdio: "pipe", onSpawn: (rank, child) => {
    child.stdout?.on("data", (d) => (outputs[rank] += d));
    child.stderr?.on("data", (d) => (outputs[rank] += d));
  } }).catch((e) => assert.fail(`${String(e)}\n${outputs.join("\n")}`));
  const lines = outputs.map((o) => JSON.parse(o.split("\n").find((l) => l.startsWith("{")) ?? "null") as Line);
  const single = lines[0].single!;
  const shard = single.outputs.length / n;
  for (const o of lines) {
    assert.deepEqual(o.kinds, ["Conv2d", "SyncBatchNorm", "ReLU", "Flatten", "Linear", "SyncBatchNorm", "Tanh", "Linear"]);
    assert.equal(o.sameKeys, true, "the converted model's state dict keys differ");
    const d = o.distributed;
    // This rank's rows of the whole batch's output.
    d.outputs.forEach((row, i) => row.forEach((v, j) => close(v, single.outputs[o.rank * shard + i][j], 1e-5, `output [${i}, ${j}]`)));
    // Parameter gradients after DistributedDataParallel's average: the whole batch's.
    d.grads.forEach((g, p) => g.forEach((v, k) => close(v, single.grads[p][k], 1e-4, `gradient of parameter ${p} [${k}]`)));
    // Input gradients: rank r's rows of d(Σ_ranks loss)/dx = world × the whole-batch mean loss's.
    const rowSize = single.xGrads[0].length / single.outputs.length;
    d.xGrads[0].forEach((v, k) => close(v / n, single.xGrads[0][o.rank * shard * rowSize + k], 1e-4, `input gradient [${k}]`));
    // Running statistics (momentum 0.1 and the cumulative average) and weights after 2 steps.
    d.stats.forEach((s, b) => s.forEach((v, k) => close(v, single.stats[b][k], 1e-5, `running statistic ${b} [${k}]`)));
    d.weights.forEach((w, p) => w.forEach((v, k) => close(v, single.weights[p][k], 1e-5, `parameter ${p} [${k}] after 2 steps`)));
    assert.deepEqual(d.weights, lines[0].distributed.weights);
  }
});

test("SyncBatchNorm outside a process group is BatchNorm; convertSyncBatchnorm refuses other process groups", () => {
  nb.manualSeed(3);
  const x = nb.randn([6, 4, 5]);
  const bn = new nb.nn.BatchNorm1d(4, { momentum: 0.3 });
  const sync = nb.nn.SyncBatchNorm.convertSyncBatchnorm(bn) as nb.nn.SyncBatchNorm;
  assert.ok(sync instanceof nb.nn.SyncBatchNorm);
  assert.equal(sync.weight, bn.weight);
  const expected = new nb.nn.BatchNorm1d(4, { momentum: 0.3 }).forward(x).toArray();
  assert.deepEqual(sync.forward(x).toArray(), expected);
  assert.throws(() => nb.nn.SyncBatchNorm.convertSyncBatchnorm(bn, "group"), /SyncBatchNorm.convertSyncBatchnorm: only the default process group is supported/);
  assert.throws(() => new nb.nn.SyncBatchNorm(4).forward(nb.zeros([4])), /SyncBatchNorm.*expected a 2D or 3D or 4D or 5D input/);
});
