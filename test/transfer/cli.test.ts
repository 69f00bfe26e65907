// `nabla transfer` end to end on MNIST digits (pretrained on 0–4, transferred to 5–9), its bad
// input as one clear line, and the filters / feature-map pictures `nabla train --out` writes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pngjs from "pngjs";
import * as nb from "../../src/index.js";
import { runCli } from "../helpers/cli.js";

const run = runCli;

const dir = mkdtempSync(join(tmpdir(), "nabla-transfer-cli-"));
const weights = join(dir, "digits-0-4.safetensors");

async function pretrain(): Promise<nb.nn.Module> {
  nb.manualSeed(0);
  const source = nb.transfer.selectClasses(nb.datasets.mnist({ split: "train", limit: 2000 }), [0, 1, 2, 3, 4]);
  const model = nb.models.lenet5({ numClasses: 5 });
  await nb.fit(model, { train: source, epochs: 1, optimizer: new nb.optim.Adam(model.parameters()), loss: "crossEntropy", verbose: 0 });
  await nb.save(model, weights);
  return model;
}

test("nabla transfer: a LeNet-5 pretrained on digits 0-4 learns 5-9 with a frozen base, then fine-tunes", async () => {
  const pretrained = await pretrain();
  const out = join(dir, "run");
  const r = await run("transfer", "--from", weights, "--model", "lenet5", "--classes", "5,6,7,8,9", "--limit", "2000",
    "--head", "classifier", "--epochs", "3", "--out", out, "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /nabla transfer: lenet5 from .* to mnist \(classes 5, 6, 7, 8, 9\): \d+ training, \d+ validation, \d+ test images/);
  // The whole classifier is the head: the new one is a Linear on the convolutional base's 400 outputs.
  assert.match(r.out, /loaded 4 tensors \(left out the old head: (classifier\.\d\.(weight|bias)(, )?){6}\); new head "classifier" for 5 classes/);
  assert.match(r.out, /--freeze base: 2,005 of 4,\d{3} parameters train/);
  const acc = Number(/trained the head for 3 epoch\(s\) \(Adam, lr 0\.001\): test accuracy ([\d.]+)%/.exec(r.out)?.[1]);
  assert.ok(acc > 50, `test accuracy ${acc}% on digits 5-9 (chance: 20%)`);
  for (const f of ["transfer.safetensors", "transfer.json", "history.json", "learning-curves.png", "learning-curves.svg", "filters.png", "feature-maps.png"]) {
    assert.ok(existsSync(join(out, f)), `${f} written`);
  }
  // The frozen base is exactly the pretrained one; the head is new.
  const saved = await nb.load(join(out, "transfer.safetensors"));
  const before = pretrained.stateDict();
  for (const k of ["features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias"]) {
    assert.deepEqual(Array.from(saved.get(k)!.dataSync()), Array.from(before.get(k)!.dataSync()), k);
  }
  const results = JSON.parse(readFileSync(join(out, "transfer.json"), "utf8"));
  assert.equal(results.head, "classifier");
  assert.deepEqual([...saved.keys()].filter((k) => k.startsWith("classifier")).sort(), ["classifier.1.bias", "classifier.1.weight"]);
  assert.equal(results.fineTunedAccuracy, null);

  // Partial freezing and a fine-tuning stage at a lower learning rate.
  const p = await run("transfer", "--from", weights, "--model", "lenet5", "--classes", "5,6,7,8,9", "--limit", "600",
    "--freeze", "partial", "--up-to", "features", "--hidden", "32", "--epochs", "1", "--fine-tune-epochs", "1", "--out", join(dir, "partial"), "--quiet");
  assert.equal(p.code, 0, p.err);
  // One history for both stages, the fine-tuning epochs numbered after the head's.
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "partial", "history.json"), "utf8")).epoch, [0, 1]);
  assert.match(p.out, /--freeze partial: [\d,]+ of [\d,]+ parameters train/);
  assert.match(p.out, /fine-tuned everything for 1 epoch\(s\) \(base lr 0\.0001, head lr 0\.001\): test accuracy [\d.]+%/);
});

test("nabla transfer: bad input ends with one clear line", async () => {
  if (!existsSync(weights)) await pretrain();
  const typical = join(dir, "typical.safetensors");
  await nb.save(nb.models.typicalCnn(), typical);
  const base = ["transfer", "--model", "lenet5", "--limit", "100", "--quiet"];
  const cases: [string[], RegExp][] = [
    [[...base, "--from", join(dir, "missing.safetensors")], /^nabla: --from .*missing\.safetensors: no such file/],
    [[...base, "--from", weights, "--freeze", "most"], /^nabla: unknown --freeze "most"; choose one of base, partial, none$/],
    [[...base, "--from", weights, "--up-to", "features"], /^nabla: --up-to goes with --freeze partial$/],
    [[...base, "--from", weights, "--classes", "5,x"], /^nabla: --classes: the dataset has no class "x"; its classes are 0, 1, 2/],
    [[...base, "--from", typical], /^nabla: loadPretrained: the weights lack features\.0\.weight, .* \(are the weights for another model\?\)$/],
    [[...base, "--from", weights, "--freeze", "partial", "--up-to", "layer3"], /^nabla: freeze: upTo names "layer3", which is no module of the model/],
    [[...base, "--from", weights, "--hidden", "0"], /^nabla: --hidden must be at least 1, got 0$/],
    [[...base, "--from", weights, "--model", "resnet9000"], /^nabla: unknown model "resnet9000"/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(...argv);
    assert.notEqual(r.code, 0, argv.join(" "));
    const lines = r.err.trim().split("\n");
    assert.equal(lines.length, 1, `${argv.join(" ")}: one line, got ${r.err}`);
    assert.match(lines[0], pattern);
  }
});

test("nabla train --out writes the first layer's filters and a test image's feature maps", async () => {
  const out = join(dir, "train");
  const r = await run("train", "--model", "typical-cnn", "--limit", "200", "--epochs", "1", "--out", out, "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /wrote .*diagnosis\.json, filters\.png, feature-maps\.png/);
  const size = (f: string): number[] => {
    const png = pngjs.PNG.sync.read(readFileSync(join(out, f)));
    return [png.width, png.height];
  };
  // conv1: 8 kernels of 3x3 at 13 pixels a kernel pixel, 3 columns; 8 maps of 26x26 at 2x, 3 columns.
  assert.deepEqual(size("filters.png"), [3 * 39 + 4 * 2, 3 * 39 + 4 * 2]);
  assert.deepEqual(size("feature-maps.png"), [3 * 52 + 4 * 2, 3 * 52 + 4 * 2]);
});
