// The generative examples run to completion on a small slice and write what they promise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pngjs from "pngjs";

function runExample(file: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, ["--import", "tsx", file, ...args], { encoding: "utf8", timeout: 240_000 });
  assert.equal(r.status, 0, `${file} failed: ${r.stderr}`);
  return r.stdout;
}
const pngSize = (path: string): [number, number] => {
  const png = pngjs.PNG.sync.read(readFileSync(path));
  return [png.width, png.height];
};

test("examples/autoencoder.ts: dense and conv denoising autoencoders beat the noisy input and write noisy/rebuilt/clean grids", () => {
  const out = mkdtempSync(join(tmpdir(), "nabla-ae-example-"));
  const text = runExample("examples/autoencoder.ts", "--limit", "1000", "--epochs", "1", "--out", out);
  const noisy = Number(/the noisy test inputs' own MSE is ([\d.]+)/.exec(text)?.[1]);
  for (const kind of ["dense", "conv"]) {
    const mse = Number(new RegExp(`${kind} autoencoder \\([\\d,]+ parameters\\): test MSE ([\\d.]+)`).exec(text)?.[1]);
    assert.ok(mse < noisy, `${kind}: test MSE ${mse} vs the noisy input's ${noisy}`);
    assert.deepEqual(pngSize(join(out, `denoising-${kind}.png`)), [10 * 30 + 2, 3 * 30 + 2]);
  }
});

test("examples/dcgan.ts: the hand-written GAN loop writes a fixed-noise grid per epoch and the D/G curves", () => {
  const out = mkdtempSync(join(tmpdir(), "nabla-dcgan-example-"));
  const text = runExample("examples/dcgan.ts", "--epochs", "2", "--limit", "128", "--batch-size", "64", "--ngf", "8", "--ndf", "8", "--out", out);
  assert.match(text, /DCGAN on 128 MNIST digits at 32x32: ngf 8, ndf 8, batch 64/);
  assert.match(text, /epoch 2\/2: Loss_D \d+\.\d{3}, Loss_G \d+\.\d{3}/);
  for (const epoch of [1, 2]) assert.deepEqual(pngSize(join(out, `samples-epoch-${epoch}.png`)), [8 * 34 + 2, 8 * 34 + 2]);
  assert.deepEqual(pngSize(join(out, "loss-curves.png")), [640, 380]);
});
