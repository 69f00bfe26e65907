// `nabla run --nproc N script` (src/cli/run-command.ts) without Gloo: the variables each rank gets,
// the script's arguments, and the command line's checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runCommand } from "../../src/cli/run-command.js";
import { main } from "../../src/cli/main.js";

test("each rank gets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and one free MASTER_PORT, and the script's arguments", async () => {
  const outputs = ["", "", ""];
  await runCommand({ nproc: 3, script: fileURLToPath(new URL("./env-worker.mjs", import.meta.url)), args: ["--lr", "0.1"], stdio: "pipe",
    onSpawn: (rank, child) => child.stdout?.on("data", (d) => (outputs[rank] += d)) });
  const envs = outputs.map((o) => JSON.parse(o));
  const port = envs[0].MASTER_PORT;
  assert.match(port, /^\d+$/);
  envs.forEach((e, r) => assert.deepEqual(e, {
    RANK: String(r), LOCAL_RANK: String(r), WORLD_SIZE: "3", LOCAL_WORLD_SIZE: "3", GROUP_RANK: "0", MASTER_ADDR: "127.0.0.1", MASTER_PORT: port, args: ["--lr", "0.1"],
  }));
});

test("nabla run checks --nproc", async () => {
  const errors: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => (errors.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(["run", "--nproc", "0", "x.js"]), 2);
  } finally {
    process.stderr.write = write;
  }
  assert.match(errors.join(""), /--nproc/);
});
