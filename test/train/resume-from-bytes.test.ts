// fit({resumeFrom}) with a checkpoint's bytes (what the browser build has instead of a path):
// the same run as resuming from the file; a path where there is no file system is a clear error.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nb from "../../src/index.js";

function data() {
  nb.manualSeed(5);
  return { x: nb.randn([40, 3]), y: nb.randint(0, 2, [40]) };
}
function make() {
  const model = new nb.nn.Sequential(new nb.nn.Linear(3, 6), new nb.nn.Tanh(), new nb.nn.Linear(6, 2));
  return { model, optimizer: new nb.optim.Adam(model.parameters(), { lr: 0.05 }) };
}

test("fit resumes from a checkpoint's bytes exactly as from its path", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-resume-bytes-"));
  try {
    const train = data();
    const path = join(dir, "ckpt.safetensors");
    nb.manualSeed(1);
    const first = make();
    await nb.fit(first.model, { train, epochs: 2, batchSize: 8, seed: 2, optimizer: first.optimizer, loss: "crossEntropy", verbose: 0, callbacks: [new nb.callbacks.ModelCheckpoint({ path })] });
    const runs = [];
    for (const resumeFrom of [path, new Uint8Array(readFileSync(path))]) {
      nb.manualSeed(77);
      const r = make();
      const history = await nb.fit(r.model, { train, epochs: 4, batchSize: 8, seed: 2, optimizer: r.optimizer, loss: "crossEntropy", verbose: 0, resumeFrom });
      runs.push({ history, weights: r.model.parameters().map((p) => [...p.dataSync()]) });
    }
    assert.equal(runs[1].history.loss.length, 4, "the history continues from the checkpoint's 2 epochs");
    assert.deepEqual(runs[1], runs[0]);

    const weightsOnly = nb.safetensors.serializeSafetensors(make().model.stateDict());
    const m = make();
    await assert.rejects(nb.fit(m.model, { train, epochs: 1, optimizer: m.optimizer, loss: "crossEntropy", verbose: 0, resumeFrom: weightsOnly }),
      /fit: the checkpoint bytes is a weights file, not a resumable checkpoint/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("resumeFrom a path where there is no file system (a browser) says to pass the bytes", async () => {
  const m = make();
  const saved = process.getBuiltinModule;
  (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
  try {
    await assert.rejects(nb.fit(m.model, { train: data(), epochs: 1, optimizer: m.optimizer, loss: "crossEntropy", verbose: 0, resumeFrom: "ckpt.safetensors" }),
      /fit: cannot read the checkpoint to resume from \(ckpt\.safetensors\): there is no file system here \(a browser\); pass the checkpoint's bytes/);
  } finally {
    process.getBuiltinModule = saved;
  }
});
