// Long runs from the command line survive interruptions: the `nabla train` process is killed
// (-9 at random moments, SIGINT, SIGTERM twice), runs out of file size while saving, or diverges to
// NaN; `nabla train --resume DIR` then ends with exactly the weights of a run never interrupted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";

const ENTRY = "test/helpers/nabla-entry.ts";
// 1,350 training images, 43 steps an epoch: about two seconds of training, a checkpoint every 4 steps.
const RUN = ["train", "--model", "typical-cnn", "--limit", "1500", "--test-limit", "50", "--epochs", "3", "--seed", "3", "--checkpoint-every", "4", "--quiet"];

interface Finished { code: number | null; signal: NodeJS.Signals | null; out: string; err: string }

function startCli(args: string[], fileSizeLimitKb?: number): { pid: number; done: Promise<Finished>; err: () => string; closed: () => boolean } {
  const node = [process.execPath, "--import", "tsx", ENTRY, ...args];
  // A file-size limit (ulimit -f) with SIGXFSZ ignored: writes past it fail with EFBIG, also for root.
  const child = fileSizeLimitKb === undefined
    ? spawn(node[0], node.slice(1))
    : spawn("bash", ["-c", `trap '' XFSZ; ulimit -f ${fileSizeLimitKb}; exec "$@"`, "bash", ...node]);
  let out = "", err = "", closed = false;
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const done = new Promise<Finished>((resolve) => child.on("close", (code, signal) => {
    closed = true;
    resolve({ code, signal, out, err });
  }));
  return { pid: child.pid!, done, err: () => err, closed: () => closed };
}

async function waitFor(path: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`${path} did not appear in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A safetensors file's tensors (names, shapes, bytes), without its metadata (the history it carries). */
function tensorsOf(path: string): { header: string; data: Buffer } {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as Record<string, unknown>;
  delete header.__metadata__;
  return { header: JSON.stringify(header), data: bytes.subarray(8 + n) };
}

function assertSameWeights(dir: string, reference: string, what: string): void {
  for (const file of ["checkpoint.safetensors", "best.safetensors"]) {
    const a = tensorsOf(join(dir, file)), b = tensorsOf(join(reference, file));
    assert.equal(a.header, b.header, `${what}: ${file} holds other tensors`);
    assert.ok(a.data.equals(b.data), `${what}: ${file} differs from the uninterrupted run's`);
  }
  const column = (d: string, key: string) => {
    const [head, ...rows] = readFileSync(join(d, "history.csv"), "utf8").trim().split("\n");
    const i = head.split(",").indexOf(key);
    return rows.map((r) => r.split(",")[i]);
  };
  for (const key of ["loss", "val_loss", "val_accuracy"]) assert.deepEqual(column(dir, key), column(reference, key), `${what}: history.csv ${key}`);
  assert.equal(readdirSync(dir).filter((f) => f.includes(".tmp-")).length, 0, `${what}: temporary files left in ${dir}`);
}

let reference: Promise<string> | null = null;
/** The uninterrupted run, once for the tests of this file (started beside the first interrupted run). */
function referenceRun(): Promise<string> {
  reference ??= (async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "nabla-long-")), "ref");
    const r = await startCli([...RUN, "--out", dir]).done;
    assert.equal(r.code, 0, r.err);
    return dir;
  })();
  return reference;
}

test("kill -9 at random moments, then --resume: the weights and losses of a run never interrupted, bit for bit", async () => {
  const ref = referenceRun();
  const dir = join(mkdtempSync(join(tmpdir(), "nabla-long-")), "run");
  const delays: number[] = [];
  let victim = startCli([...RUN, "--out", dir]);
  for (let kill = 0; kill < 2; kill++) {
    await waitFor(join(dir, "checkpoint.safetensors"));
    const delay = Math.floor(Math.random() * 1000);
    delays.push(delay);
    await sleep(delay);
    process.kill(victim.pid, "SIGKILL");
    const r = await victim.done;
    if (r.code === 0) break; // the run was faster than the kill
    assert.equal(r.signal, "SIGKILL", r.err);
    if (kill === 0) victim = startCli(["train", "--resume", dir]);
  }
  const r = await runCli("train", "--resume", dir);
  assert.equal(r.code, 0, r.err);
  assertSameWeights(dir, await ref, `killed after ${delays.join(", ")} ms`);
});

test("SIGINT: the current step finishes, a checkpoint is written, exit 130 with how to resume; --resume ends as the uninterrupted run", async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "nabla-long-")), "run");
  const run = startCli([...RUN, "--out", dir]);
  await waitFor(join(dir, "checkpoint.safetensors"));
  process.kill(run.pid, "SIGINT");
  const r = await run.done;
  assert.equal(r.code, 130, r.err);
  assert.match(r.err, /nabla: SIGINT: finishing the current step, then writing a checkpoint \(Ctrl-C again stops at once\)/);
  assert.match(r.err, new RegExp(`nabla: SIGINT: stopped at epoch \\d, batch \\d+ \\(step \\d+\\); checkpoint written to ${dir}/checkpoint.safetensors; continue with: nabla train --resume ${dir}\\n`));
  // A read-only run folder: the next checkpoint cannot be written (root writes anyway: the file-size test below covers root).
  if (process.getuid?.() !== 0) {
    const before = readFileSync(join(dir, "checkpoint.safetensors"));
    chmodSync(dir, 0o555);
    try {
      const failed = await runCli("train", "--resume", dir);
      assert.equal(failed.code, 1, failed.err);
      assert.match(failed.err.trim(), new RegExp(`^nabla: could not write the checkpoint ${dir}/checkpoint.safetensors: EACCES: permission denied; training stopped \\(the previous checkpoint is intact: resume from it with nabla train --resume ${dir}\\)$`));
    } finally {
      chmodSync(dir, 0o755);
    }
    assert.ok(readFileSync(join(dir, "checkpoint.safetensors")).equals(before), "the previous checkpoint changed");
  }
  const resumed = await runCli("train", "--resume", dir);
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.out, new RegExp(`resuming ${dir} from ${dir}/checkpoint.safetensors: epoch \\d of 3, from its batch \\d+`));
  assertSameWeights(dir, await referenceRun(), "after SIGINT");
});

test("SIGTERM twice: the second stops at once (exit 143), the checkpoint left behind still resumes exactly", async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "nabla-long-")), "run");
  const run = startCli([...RUN, "--out", dir]);
  await waitFor(join(dir, "checkpoint.safetensors"));
  process.kill(run.pid, "SIGTERM");
  // The second signal once the first is handled (two sent at once arrive as one); the checkpoint
  // of the first may be written by then, or not: either way the folder must resume exactly.
  while (!run.err().includes("finishing the current step") && !run.closed()) await sleep(1);
  process.kill(run.pid, "SIGTERM");
  const r = await run.done;
  assert.equal(r.code, 143, r.err);
  const again = `nabla: SIGTERM again: stopping now (files already written are whole; the last checkpoint stays the one to resume from; continue with: nabla train --resume ${dir})`;
  assert.ok(r.err.includes(again) || r.err.includes(`checkpoint written to ${dir}/checkpoint.safetensors`), r.err);
  const resumed = await runCli("train", "--resume", dir);
  assert.equal(resumed.code, 0, resumed.err);
  assertSameWeights(dir, await referenceRun(), "after two SIGTERMs");
});

test("a save that fails (file too large for the process's limit): one clear error naming the file, the previous checkpoint intact, exit 1", async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "nabla-long-")), "run");
  cpSync(await referenceRun(), dir, { recursive: true });
  writeFileSync(join(dir, "run.json"), readFileSync(join(dir, "run.json"), "utf8").replaceAll(await referenceRun(), dir));
  const before = readFileSync(join(dir, "checkpoint.safetensors"));
  const best = readFileSync(join(dir, "best.safetensors"));
  // The weights (110 kB) fit under 200 kB, the checkpoint with Adam's moments (330 kB) does not.
  const r = await startCli(["train", "--resume", dir, "--epochs", "4"], 200).done;
  assert.equal(r.code, 1, r.err);
  const lines = r.err.trim().split("\n");
  assert.equal(lines.length, 1, r.err);
  assert.match(lines[0], new RegExp(`^nabla: could not write the checkpoint ${dir}/checkpoint.safetensors: EFBIG: file too large.*; training stopped \\(the previous checkpoint is intact: resume from it with nabla train --resume ${dir}\\)$`));
  assert.ok(readFileSync(join(dir, "checkpoint.safetensors")).equals(before), "the previous checkpoint changed");
  // The best weights are either the previous ones or the new epoch's, whole (they fit under the limit).
  const bestNow = tensorsOf(join(dir, "best.safetensors"));
  assert.equal(bestNow.header, tensorsOf(join(await referenceRun(), "best.safetensors")).header);
  assert.equal(bestNow.data.length, best.length - (best.length - tensorsOf(join(await referenceRun(), "best.safetensors")).data.length));
  assert.equal(readdirSync(dir).filter((f) => f.includes(".tmp-")).length, 0, "temporary files left behind");
});

test("a loss that turns NaN stops training at once, naming the step and the last finite loss, with the usual causes", async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "nabla-long-")), "run");
  const r = await runCli("train", "--model", "typical-cnn", "--limit", "300", "--test-limit", "10", "--epochs", "2", "--optimizer", "sgd", "--lr", "1e12", "--quiet", "--out", dir);
  assert.equal(r.code, 1);
  assert.match(r.err.trim(), /^nabla: TerminateOnNaN: the loss became (NaN|Infinity) at epoch 1, batch (\d+) \(step \2\); the last finite batch loss was [\d.e+]+\. Usual causes: a learning rate too high \(try one 10x lower\), or exploding gradients \(clip them: clipGradNorm, e\.g\. 1\.0\)$/);
  assert.ok(!existsSync(join(dir, "checkpoint.safetensors")), "no checkpoint of NaN weights");
});

test("--resume: conflicting flags, a folder that is no run, and --checkpoint-every without --out are refused clearly", async () => {
  const dir = await referenceRun();
  let r = await runCli("train", "--resume", dir, "--lr", "0.1", "--batch-size", "32");
  assert.equal(r.code, 2);
  assert.equal(r.err.trim(), `nabla: --resume ${dir}: --lr 0.1 (the run has none); a resumed run keeps the options it started with (${dir}/run.json); only --epochs, --checkpoint-every, --device, --quiet, --dashboard, --dashboard-keep, --compile may change`);
  r = await runCli("train", "--resume", tmpdir() + "/nabla-no-such-run");
  assert.equal(r.code, 2);
  assert.match(r.err.trim(), /^nabla: --resume .*nabla-no-such-run: no run\.json there; give the --out folder of a `nabla train` run$/);
  r = await runCli("train", "--model", "lenet5", "--checkpoint-every", "10");
  assert.equal(r.code, 2);
  assert.match(r.err.trim(), /^nabla: --checkpoint-every: needs --out <dir>/);
  r = await runCli("train", "--epochs", "2");
  assert.equal(r.code, 2);
  assert.match(r.err.trim(), /^nabla: --model <name>: which model to train \(or --resume <dir> to continue a run\)$/);
});

test("the VAE's own loop: SIGINT stops at a step, --resume continues from the last epoch's checkpoint to the uninterrupted run's weights", async () => {
  const root = mkdtempSync(join(tmpdir(), "nabla-long-"));
  const args = ["train", "--model", "vae", "--limit", "256", "--test-limit", "20", "--epochs", "2", "--quiet"];
  const ref = await runCli(...args, "--out", join(root, "ref"));
  assert.equal(ref.code, 0, ref.err);
  const dir = join(root, "run");
  const run = startCli([...args, "--out", dir]);
  await waitFor(join(dir, "checkpoint.safetensors"));
  process.kill(run.pid, "SIGINT");
  const r = await run.done;
  assert.equal(r.code, 130, r.err);
  assert.match(r.err, new RegExp(`nabla: SIGINT: stopped (at epoch \\d, batch \\d+; the checkpoint of the last finished epoch is|after training's last epoch; checkpoint written to) ${dir}/checkpoint.safetensors; (continue|finish the run) with: nabla train --resume ${dir}\\n`));
  const resumed = await runCli("train", "--resume", dir);
  assert.equal(resumed.code, 0, resumed.err);
  assert.ok(readFileSync(join(dir, "vae.safetensors")).equals(readFileSync(join(root, "ref", "vae.safetensors"))), "vae.safetensors differs from the uninterrupted run's");
  assert.equal(readFileSync(join(dir, "history.csv"), "utf8"), readFileSync(join(root, "ref", "history.csv"), "utf8"));
  const every = await runCli("train", "--resume", dir, "--checkpoint-every", "5");
  assert.equal(every.code, 2);
  assert.match(every.err.trim(), /^nabla: --checkpoint-every: not for --model vae \(its own training loop checkpoints at every epoch's end only\)/);
});

test("the DCGAN's own loop: two networks and two optimizers in one checkpoint; 2 epochs, then --resume --epochs 3, end as a 3-epoch run", async () => {
  const root = mkdtempSync(join(tmpdir(), "nabla-long-"));
  const args = ["train", "--model", "dcgan", "--limit", "128", "--ngf", "8", "--ndf", "8", "--batch-size", "32", "--quiet"];
  const ref = await runCli(...args, "--epochs", "3", "--out", join(root, "ref"));
  assert.equal(ref.code, 0, ref.err);
  const dir = join(root, "run");
  assert.equal((await runCli(...args, "--epochs", "2", "--out", dir)).code, 0);
  const resumed = await runCli("train", "--resume", dir, "--epochs", "3");
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.out, new RegExp(`resuming ${dir} from its checkpoint: epoch 3 of 3`));
  for (const file of ["generator.safetensors", "discriminator.safetensors", "history.csv", "samples-epoch-3.png"]) {
    assert.ok(readFileSync(join(dir, file)).equals(readFileSync(join(root, "ref", file))), `${file} differs from the uninterrupted run's`);
  }
  assert.equal(JSON.parse(readFileSync(join(dir, "run.json"), "utf8")).options.epochs, 3, "run.json records the longer run");
});

test("detection's own loop (fasterrcnn): SIGINT then --resume ends as the uninterrupted run; a failed save; a NaN loss; no --checkpoint-every", async () => {
  const root = mkdtempSync(join(tmpdir(), "nabla-long-"));
  // 48 images of 48x48 in batches of 4: 12 steps an epoch, about a second each epoch.
  const args = ["train", "--model", "fasterrcnn", "--limit", "48", "--test-limit", "2", "--image-size", "48", "--epochs", "3", "--seed", "1"];
  const refDir = join(root, "ref"), dir = join(root, "run");
  const ref = startCli([...args, "--out", refDir]).done;
  const run = startCli([...args, "--out", dir]);
  await waitFor(join(dir, "checkpoint.safetensors"));
  process.kill(run.pid, "SIGINT");
  const r = await run.done;
  assert.equal(r.code, 130, r.err);
  assert.match(r.err, /nabla: SIGINT: stopping after the current step \(again: at once\)/);
  assert.match(r.err, new RegExp(`nabla: SIGINT: stopped (at epoch \\d, batch \\d+; the checkpoint of the last finished epoch is|after training's last epoch; checkpoint written to) ${dir}/checkpoint.safetensors; (continue|finish the run) with: nabla train --resume ${dir}\\n`));
  assert.equal((await ref).code, 0);
  const resumed = await runCli("train", "--resume", dir);
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.out, new RegExp(`resuming ${dir} from its checkpoint: epoch [23] of 3`));
  for (const file of ["model.safetensors", "checkpoint.safetensors"]) {
    const a = tensorsOf(join(dir, file)), b = tensorsOf(join(refDir, file));
    assert.equal(a.header, b.header, `${file} holds other tensors`);
    assert.ok(a.data.equals(b.data), `${file} differs from the uninterrupted run's`);
  }
  assert.equal(readFileSync(join(dir, "history.json"), "utf8"), readFileSync(join(refDir, "history.json"), "utf8"));

  // A save that fails: the weights (0.9 MB) fit under 1.5 MB, the checkpoint with Adam's moments (2.8 MB) does not.
  const full = join(root, "full");
  cpSync(refDir, full, { recursive: true });
  writeFileSync(join(full, "run.json"), readFileSync(join(full, "run.json"), "utf8").replaceAll(refDir, full));
  const before = readFileSync(join(full, "checkpoint.safetensors"));
  const failed = await startCli(["train", "--resume", full, "--epochs", "4"], 1500).done;
  assert.equal(failed.code, 1, failed.err);
  assert.match(failed.err.trim(), new RegExp(`^nabla: could not write the checkpoint ${full}/checkpoint.safetensors: EFBIG: file too large.*; training stopped \\(the previous checkpoint is intact: resume from it with nabla train --resume ${full}\\)$`));
  assert.ok(readFileSync(join(full, "checkpoint.safetensors")).equals(before), "the previous checkpoint changed");
  assert.equal(readdirSync(full).filter((f) => f.includes(".tmp-")).length, 0, "temporary files left behind");

  const nan = join(root, "nan");
  const diverged = await runCli("train", "--model", "fasterrcnn", "--limit", "16", "--test-limit", "2", "--image-size", "48", "--epochs", "2", "--optimizer", "sgd", "--lr", "1e12", "--out", nan);
  assert.equal(diverged.code, 1, diverged.err);
  assert.match(diverged.err.trim(), /^nabla: TerminateOnNaN: the loss became (NaN|Infinity) at epoch 1, batch (\d+) \(step \2\); the last finite batch loss was [\d.e+]+\. Usual causes: a learning rate too high/);
  assert.ok(!existsSync(join(nan, "checkpoint.safetensors")), "no checkpoint of NaN weights");

  const every = await runCli("train", "--resume", dir, "--checkpoint-every", "5");
  assert.equal(every.code, 2);
  assert.match(every.err.trim(), /^nabla: --checkpoint-every: not for --model fasterrcnn \(its own training loop checkpoints at every epoch's end only\)/);
});
