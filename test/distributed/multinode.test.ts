// `nabla run --nnodes 2 --node-rank R`: two launchers on 127.0.0.1 standing for two machines, with
// 1 and 2 processes each. Skipped without the Gloo addon.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as nb from "../../src/index.js";
import { freePort, RankFailed, runCommand } from "../../src/cli/run-command.js";
import { main } from "../../src/cli/main.js";

const unavailable = nb.distributed.glooUnavailableReason();
const skip = unavailable ? `the Gloo addon is not built: ${unavailable}` : false;
const worker = fileURLToPath(new URL("./multinode-worker.ts", import.meta.url));

/** Runs both "nodes" at once: each node's rank outputs by local rank, and each launcher's error. */
async function twoNodes(nproc: number, env: Record<string, string> = {}): Promise<{ outputs: string[][]; errors: unknown[] }> {
  const port = await freePort();
  const outputs = [Array(nproc).fill(""), Array(nproc).fill("")];
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const results = await Promise.allSettled([0, 1].map((nodeRank) => runCommand({
      nproc, nnodes: 2, nodeRank, masterAddr: "127.0.0.1", masterPort: port, script: worker, stdio: "pipe", killGraceMs: 2000,
      onSpawn: (local, child) => {
        child.stdout?.on("data", (d) => (outputs[nodeRank][local] += d));
        child.stderr?.on("data", (d) => (outputs[nodeRank][local] += d));
      },
    })));
    return { outputs, errors: results.map((r) => (r.status === "rejected" ? r.reason : null)) };
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  }
}

for (const nproc of [2]) {
  test(`2 nodes × ${nproc} processes: global ranks node·nproc + local, one process group over both`, { skip, timeout: 90_000 }, async () => {
    const { outputs, errors } = await twoNodes(nproc);
    assert.deepEqual(errors, [null, null], outputs.flat().join("\n"));
    const world = 2 * nproc;
    for (const nodeRank of [0, 1]) {
      for (let local = 0; local < nproc; local++) {
        const o = JSON.parse(outputs[nodeRank][local].split("\n").find((l) => l.startsWith("{")) ?? "null");
        assert.deepEqual(o, {
          RANK: String(nodeRank * nproc + local), LOCAL_RANK: String(local), WORLD_SIZE: String(world), LOCAL_WORLD_SIZE: String(nproc),
          GROUP_RANK: String(nodeRank), sum: [(world * (world - 1)) / 2, world],
          locals: Array.from({ length: world }, (_, r) => r % nproc),
        });
      }
    }
  });
}

test("a rank failing on one node makes the other node's launcher fail too", { skip, timeout: 90_000 }, async () => {
  const { errors } = await twoNodes(1, { DIST_CASE: "die" });
  assert.ok(errors[1] instanceof RankFailed && /^rank 1 exited with status 3/.test((errors[1] as Error).message), String(errors[1]));
  // Rank 0's collective fails once rank 1 is gone; its launcher names it.
  assert.ok(errors[0] instanceof RankFailed && /^rank 0 exited with status 1/.test((errors[0] as Error).message), String(errors[0]));
});

test("nabla run checks --nnodes, --node-rank and asks for --master-port with several nodes", async () => {
  const errors: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => (errors.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(["run", "--nproc", "1", "--nnodes", "2", "--node-rank", "2", "--master-port", "29500", "x.js"]), 2);
    assert.equal(await main(["run", "--nproc", "1", "--nnodes", "2", "x.js"]), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.match(errors.join(""), /--node-rank must be in 0 … 1 \(--nnodes 2\), got 2/);
  assert.match(errors.join(""), /--nnodes > 1 needs --master-port/);
});
