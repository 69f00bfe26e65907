// nb.fit inside each rank (issue 22): a DistributedDataParallel model fitted on 2 ranks started by
// the `nabla run` launcher, and `nabla train --nproc 2`. Skipped when the Gloo addon is not built.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as nb from "../../src/index.js";
import { runCommand } from "../../src/cli/run-command.js";
import { main } from "../../src/cli/main.js";

const unavailable = nb.distributed.glooUnavailableReason();
const skip = unavailable ? `the Gloo addon is not built: ${unavailable}` : false;

interface Line { rank: number; weights: number[][]; history: { loss: number[]; val_loss: number[] }; single: { weights: number[][]; history: { loss: number[]; val_loss: number[] } } | null }

test("nb.fit on 2 ranks: equal weights on both ranks and equal to one process on the whole batches; global logs; only rank 0 writes", { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-dist-fit-"));
  const outputs = ["", ""];
  try {
    await runCommand({ nproc: 2, script: fileURLToPath(new URL("./fit-worker.ts", import.meta.url)), args: [dir], stdio: "pipe", onSpawn: (rank, child) => {
      child.stdout?.on("data", (d) => (outputs[rank] += d));
      child.stderr?.on("data", (d) => (outputs[rank] += d));
    } }).catch((e) => assert.fail(`${String(e)}\n${outputs.join("\n")}`));
    const lines = outputs.map((o) => JSON.parse(o.split("\n").find((l) => l.startsWith("{")) ?? "null") as Line);
    const single = lines[0].single!;
    // float32: the two shards' mean gradients averaged vs one mean over the batch, 8 SGD steps.
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-5, `${what}: ${a} (2 ranks) vs ${b} (one process)`);
    assert.deepEqual(lines[1].weights, lines[0].weights, "rank 1's weights differ from rank 0's");
    lines[0].weights.forEach((w, i) => w.forEach((v, j) => close(v, single.weights[i][j], `parameter ${i}[${j}]`)));
    // The epoch logs are global: the same on both ranks, and the single process's.
    assert.deepEqual(lines[1].history, lines[0].history);
    assert.equal(lines[0].history.loss.length, 2);
    lines[0].history.loss.forEach((v, e) => close(v, single.history.loss[e], `loss of epoch ${e}`));
    lines[0].history.val_loss.forEach((v, e) => close(v, single.history.val_loss[e], `val_loss of epoch ${e}`));
    // Rank 0 printed its epochs (verbose 2), rank 1 nothing but its JSON line; only rank 0's files exist.
    assert.match(outputs[0], /Epoch 2\/2/);
    assert.doesNotMatch(outputs[1], /Epoch/);
    assert.deepEqual(readdirSync(dir).sort(), ["best-0.safetensors", "history-0.csv"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("nabla train --nproc 2 trains on 2 ranks; rank 0 alone writes --out (one best.safetensors)", { skip, timeout: 90_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), "nabla-train-nproc-"));
  try {
    // train-rank.ts without NABLA_TRAIN_RANK is the ordinary command line: here the launcher.
    const entry = fileURLToPath(new URL("../../src/cli/train-rank.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", entry, "train", "--model", "typical-cnn", "--limit", "256", "--test-limit", "64", "--epochs", "1", "--nproc", "2", "--out", out, "--quiet"], {
      stdio: "pipe", env: { ...process.env, NABLA_TRAIN_RANK: "" },
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 0, output);
    assert.equal(output.match(/nabla train: typical-cnn on mnist/g)?.length, 1, `one rank printed the header:\n${output}`);
    assert.equal(output.match(/test accuracy/g)?.length, 1, output);
    assert.ok(existsSync(join(out, "best.safetensors")));
    // The files of a one-process run, once (best weights and the run's resumable checkpoint).
    assert.deepEqual(readdirSync(out).filter((f) => f.endsWith(".safetensors")).sort(), ["best.safetensors", "checkpoint.safetensors"]);
    assert.ok(existsSync(join(out, "history.csv")));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("nabla train --nproc refuses --resume and --dashboard, naming them", async () => {
  const errors: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => (errors.push(String(s)), true)) as typeof process.stderr.write;
  try {
    assert.equal(await main(["train", "--model", "mlp", "--nproc", "2", "--dashboard", "0"]), 2);
    assert.match(errors.join(""), /--nproc: not with --dashboard/);
    assert.equal(await main(["train", "--resume", "no-such-run", "--nproc", "2"]), 2);
    assert.match(errors.join(""), /--nproc: not with --resume/);
    assert.equal(await main(["train", "--model", "dcgan", "--nproc", "2"]), 2);
    assert.match(errors.join(""), /--nproc: .*--model dcgan trains with a loop of its own/);
  } finally {
    process.stderr.write = write;
  }
});
