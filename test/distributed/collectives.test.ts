// nb.distributed over Gloo: 2 and 3 processes on 127.0.0.1 started by the `nabla run` launcher
// (runCommand). Skipped when the optional Gloo addon is not built (no libgloo-dev).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as nb from "../../src/index.js";
import { runCommand, RankFailed, freePort } from "../../src/cli/run-command.js";

const worker = fileURLToPath(new URL("./collectives-worker.ts", import.meta.url));
const unavailable = nb.distributed.glooUnavailableReason();
const skip = unavailable ? `the Gloo addon is not built: ${unavailable}` : false;

/** Runs the worker on n ranks; each rank's JSON line, by rank, and the launcher's error if any. */
async function launch(n: number, env: Record<string, string> = {}): Promise<{ lines: Record<string, unknown>[]; error: unknown }> {
  const outputs: string[] = Array(n).fill("");
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let error: unknown = null;
  try {
    await runCommand({ nproc: n, script: worker, stdio: "pipe", killGraceMs: 2000, onSpawn: (rank, child) => {
      child.stdout?.on("data", (d) => (outputs[rank] += d));
      child.stderr?.on("data", (d) => (outputs[rank] += d));
    } });
  } catch (e) {
    error = e;
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  }
  const lines = outputs.map((o, rank) => {
    const line = o.split("\n").find((l) => l.startsWith("{"));
    return line ? JSON.parse(line) : { rank, raw: o };
  });
  return { lines, error };
}

for (const n of [2, 3]) {
  test(`${n} ranks: allReduce (sum, mean, max, min; float32 and int32), broadcast, allGather, reduceScatter (equal and unequal parts), the blocking forms, queued calls`, { skip, timeout: 60_000 }, async () => {
    const { lines, error } = await launch(n);
    assert.equal(error, null, `launcher: ${String(error)}\n${JSON.stringify(lines)}`);
    const ranks = Array.from({ length: n }, (_, r) => r);
    const sum = (f: (r: number) => number) => ranks.reduce((s, r) => s + f(r), 0);
    for (const r of ranks) {
      const o = lines[r];
      assert.equal(o.rank, r, JSON.stringify(o));
      assert.equal(o.world, n);
      assert.deepEqual(o.sum, [sum((q) => q + 1), sum((q) => 10 * (q + 1)), sum((q) => -q)]);
      const mean = (o.mean as number[]).map((v) => Math.round(v * 1e5) / 1e5);
      assert.deepEqual(mean, [sum((q) => q + 1) / n, sum((q) => 10 * (q + 1)) / n, sum((q) => -q) / n].map((v) => Math.round(Math.fround(v) * 1e5) / 1e5));
      assert.deepEqual(o.max, [n, 10 * n, 0]);
      assert.deepEqual(o.min, [1, 10, -(n - 1)]);
      assert.deepEqual(o.intSum, [sum((q) => q), n]);
      assert.deepEqual(o.broadcast, [[n - 1, n - 1], [n - 1, n - 1]]);
      assert.deepEqual(o.gathered, ranks.map((q) => [q, q * q]));
      assert.deepEqual(o.queued, [sum((q) => q), sum((q) => 2 * q)]);
      assert.equal(o.twice, n * sum((q) => q + 1));
      assert.equal(o.disposedInFlight, "resolved");
      // reduceScatter: element k of the reduction is S·(k + 1) for sum (S = Σ(q + 1)); rank r holds elements 4r … 4r + 3.
      const S = sum((q) => q + 1);
      const mine = (f: (k: number) => number) => [[f(4 * r), f(4 * r + 1)], [f(4 * r + 2), f(4 * r + 3)]];
      assert.deepEqual(o.rsSum, mine((k) => S * (k + 1)));
      assert.deepEqual(o.rsInt, mine((k) => S * (k + 1)));
      assert.deepEqual(o.rsMax, mine((k) => n * (k + 1)));
      assert.deepEqual(o.rsMin, mine((k) => -n * (k + 1)));
      (o.rsMean as number[][]).flat().forEach((v, i) => assert.ok(Math.abs(v - (S / n) * (4 * r + i + 1)) < 1e-5, `rsMean[${i}] = ${v}`));
      assert.deepEqual(o.rsUneven, Array.from({ length: 2 * r + 1 }, (_, i) => S * (i + 100 * r)));
      assert.deepEqual(o.rsEmpty, r === 1 ? [] : Array.from({ length: 5 }, (_, i) => S * (i + 100 * r)));
      assert.deepEqual(o.rsLong, Array.from({ length: 1000 }, (_, i) => S * (1000 * r + i)));
      assert.deepEqual(o.allReduceSync, [n, 1]);
      assert.deepEqual(o.rsSync, o.rsSum);
      assert.deepEqual(o.broadcastSync, [0, 0]);
      assert.deepEqual(o.allGatherSync, ranks);
      assert.equal(o.pending, sum((q) => q));
      assert.deepEqual(o.rsErrors, [
        `distributed.reduceScatter: dim 0 of the input (shape [${2 * n + 1}]) must divide by the world size ${n}; pass a list of ${n} tensors for unequal parts`,
        `distributed.reduceScatter: expected a list of ${n} tensors (one per rank), got 1`,
        'distributed.reduceScatter: op "mean" needs a float32 tensor, got int32',
      ]);
    }
  });
}

/** Starts n ranks by hand (no launcher to stop the survivors); each rank's JSON line and exit status. */
async function spawnRanks(n: number, env: Record<string, string>): Promise<{ line: Record<string, unknown>; code: number | null }[]> {
  const port = await freePort();
  return Promise.all(Array.from({ length: n }, (_, rank) => new Promise<{ line: Record<string, unknown>; code: number | null }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", worker], {
      env: { ...process.env, ...env, RANK: String(rank), WORLD_SIZE: String(n), MASTER_ADDR: "127.0.0.1", MASTER_PORT: String(port) },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => {
      const l = out.split("\n").find((x) => x.startsWith("{"));
      resolve({ line: l ? JSON.parse(l) : { raw: out }, code });
    });
  })));
}

test("a rank that dies makes the others fail with a clear error within the timeout, never hang", { skip, timeout: 60_000 }, async () => {
  const results = await spawnRanks(3, { DIST_CASE: "die", DIST_TIMEOUT_MS: "5000" });
  assert.equal(results[1].code, 3);
  for (const r of [0, 2]) {
    const { line, code } = results[r];
    assert.equal(code, 7, JSON.stringify(line));
    assert.match(String(line.error), /^distributed\.(barrier|allReduce): /, JSON.stringify(line));
    assert.ok(Number(line.ms) < 15_000, `rank ${r} took ${line.ms} ms to fail`);
  }
});

test("the launcher stops the other ranks when one fails and names the failed rank", { skip, timeout: 60_000 }, async () => {
  const { error } = await launch(3, { DIST_CASE: "hang", DIST_TIMEOUT_MS: "5000" });
  assert.ok(error instanceof RankFailed, String(error));
  assert.match((error as Error).message, /^rank 1 exited with status 3; the other ranks were stopped$/);
});

test("without a process group the collectives say so; bad options are named", () => {
  assert.throws(() => nb.distributed.getRank(), /no process group; call await nb.distributed.initProcessGroup\(\) first/);
  assert.throws(() => nb.distributed.barrier(), /distributed.barrier: no process group/);
});

test("initProcessGroup checks its options before touching the network", { skip }, async () => {
  await assert.rejects(nb.distributed.initProcessGroup({ rank: 0, worldSize: 1, initMethod: "udp://x" }), /initMethod must be "env:\/\/", "tcp:\/\/host:port" or "file:\/\/\/path"/);
  await assert.rejects(nb.distributed.initProcessGroup({ rank: 2, worldSize: 2, initMethod: "tcp://127.0.0.1:1" }), /rank 2 is outside world size 2/);
  await assert.rejects(nb.distributed.initProcessGroup({ backend: "nccl" as "gloo" }), /backend "nccl" is not available/);
});

for (const n of [2, 3]) {
  test(`DistributedDataParallel on ${n} ranks: weights after 4 SGD steps equal each other and a single-process run on the whole batch`, { skip, timeout: 60_000 }, async () => {
    const outputs: string[] = Array(n).fill("");
    await runCommand({ nproc: n, script: fileURLToPath(new URL("./ddp-worker.ts", import.meta.url)), stdio: "pipe", onSpawn: (rank, child) => {
      child.stdout?.on("data", (d) => (outputs[rank] += d));
      child.stderr?.on("data", (d) => (outputs[rank] += d));
    } }).catch((e) => assert.fail(`${String(e)}\n${outputs.join("\n")}`));
    const lines = outputs.map((o) => JSON.parse(o.split("\n").find((l) => l.startsWith("{")) ?? "null") as { weights: number[][]; single: number[][] | null });
    const single = lines[0].single!;
    for (let r = 0; r < n; r++) {
      assert.deepEqual(lines[r].weights, lines[0].weights, `rank ${r}'s weights differ from rank 0's`);
      lines[r].weights.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - single[i][j]) <= 1e-5, `parameter ${i}[${j}]: ${v} (DDP) vs ${single[i][j]} (one process)`)));
    }
  });
}
