// examples/transfer-learning.ts at a small scale: LeNet-5 pretrained on 10,000 MNIST digits 0–4
// for one epoch, transferred to 100 labelled digits 5–9. With seed 0 transfer scores about 78%
// on 948 test digits and the same network from scratch about 69% (on the cpu and native
// backends alike); the test asks for a margin of at least 3 points for the frozen base and 2
// after fine-tuning.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("examples/transfer-learning.ts: transfer from digits 0-4 beats training from scratch on 100 images of 5-9", () => {
  const out = mkdtempSync(join(tmpdir(), "nabla-transfer-example-"));
  const args = ["--source", "20000", "--source-epochs", "1", "--target", "100", "--test", "2000", "--head-epochs", "20", "--fine-tune-epochs", "5", "--out", out];
  const r = spawnSync(process.execPath, ["--import", "tsx", "examples/transfer-learning.ts", ...args], { encoding: "utf8", timeout: 240_000 });
  assert.equal(r.status, 0, `the example failed: ${r.stderr}`);
  assert.match(r.stdout, /pretrained on digits 0-4: test accuracy 9\d\.\d\d%/);
  assert.match(r.stdout, /loaded 4 tensors of the base, new head "classifier": 2005 of 4577 parameters train/);
  const result = JSON.parse(/result: (\{.*\})/.exec(r.stdout)?.[1] ?? "null");
  assert.ok(result, r.stdout);
  const { headOnly, fineTuned, onConvBase, fromScratch } = result as Record<string, number>;
  assert.ok(headOnly >= fromScratch + 0.03, `frozen base + new head ${headOnly} vs from scratch ${fromScratch}`);
  assert.ok(fineTuned >= fromScratch + 0.02, `fine-tuned ${fineTuned} vs from scratch ${fromScratch}`);
  assert.ok(onConvBase >= fromScratch, `linear classifier on the conv base's codes ${onConvBase} vs from scratch ${fromScratch}`);
  for (const f of ["source.safetensors", "filters.png", "feature-maps.png"]) assert.ok(existsSync(join(out, f)), `${f} written`);
});
