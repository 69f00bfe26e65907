// nabla train with the generative models (dcgan, vae, autoencoder, conv-autoencoder) on small
// MNIST slices, and nabla sample from the weights they write: the files exist, the PNG grids
// decode to the sizes torchvision's save_image would give, and bad input is one clear line.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pngjs from "pngjs";
import { runCli as run } from "../helpers/cli.js";

/** Width and height of a PNG file (pngjs checks its CRCs while decoding). */
function pngSize(path: string): [number, number] {
  const png = pngjs.PNG.sync.read(readFileSync(path));
  return [png.width, png.height];
}
/** torchvision's make_grid: `cols` x `rows` images of `side` pixels with 2 pixels of padding. */
const grid = (cols: number, rows: number, side: number): [number, number] => [cols * (side + 2) + 2, rows * (side + 2) + 2];

test("train --model dcgan: fixed-noise grids per epoch, D/G curves, both networks' weights; sample draws a grid from them", async () => {
  const out = mkdtempSync(join(tmpdir(), "nabla-dcgan-"));
  const r = await run("train", "--model", "dcgan", "--dataset", "mnist", "--limit", "200", "--epochs", "2", "--batch-size", "50",
    "--ngf", "8", "--ndf", "8", "--nz", "16", "--out", out, "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /dcgan on mnist \(200 training images, padded to 32x32, scaled to \[-1, 1\]\), Adam, lr 0\.0002 for D and G, batch 50/);
  assert.match(r.out, /epoch 2\/2: Loss_D [\d.]+, Loss_G [\d.]+, D\(x\) 0\.\d+, D\(G\(z\)\) 0\.\d+ \/ 0\.\d+/);
  for (const epoch of [1, 2]) assert.deepEqual(pngSize(join(out, `samples-epoch-${epoch}.png`)), grid(8, 8, 32));
  assert.deepEqual(pngSize(join(out, "loss-curves.png")), [640, 380]);
  assert.match(readFileSync(join(out, "loss-curves.svg"), "utf8"), /data-series="D"[^]*data-series="G"/);
  const history = JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as { iterations: { lossD: number[]; lossG: number[] }; epochs: { lossD: number[] } };
  assert.equal(history.iterations.lossD.length, 8); // 2 epochs of 4 batches
  assert.equal(history.epochs.lossD.length, 2);
  assert.ok(history.iterations.lossG.every(Number.isFinite));
  assert.equal(readFileSync(join(out, "history.csv"), "utf8").trim().split("\n").length, 9);
  for (const f of ["generator.safetensors", "discriminator.safetensors"]) assert.ok(existsSync(join(out, f)), f);

  const png = join(out, "drawn.png");
  const s = await run("sample", "--model", "dcgan", "--weights", join(out, "generator.safetensors"), "--n", "16", "--out", png, "--seed", "3");
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /16 samples of a DCGAN generator \(nz 16, ngf 8, 1 channel, 32x32\)/);
  assert.deepEqual(pngSize(png), grid(4, 4, 32));
  // The same seed draws the same images.
  const again = join(out, "again.png");
  await run("sample", "--model", "dcgan", "--weights", join(out, "generator.safetensors"), "--n", "16", "--out", again, "--seed", "3");
  assert.deepEqual(readFileSync(again), readFileSync(png));

  const errors: [string[], RegExp][] = [
    [["sample", "--model", "dcgan", "--weights", join(out, "discriminator.safetensors")], /^nabla: --weights .*discriminator\.safetensors: not a DCGAN generator's weights \(main\.1 is no batch norm: a discriminator's\? sample from generator\.safetensors\)$/],
    [["sample", "--model", "vae", "--weights", join(out, "generator.safetensors")], /^nabla: --weights .*generator\.safetensors: not a VAE's weights \(no fc1\.weight; the file holds main\.0\.weight, /],
  ];
  for (const [argv, pattern] of errors) {
    const e = await run(...argv);
    assert.equal(e.code, 2, argv.join(" "));
    assert.match(e.err.trim(), pattern);
  }
});

test("sample --model dcgan reads a PyTorch DCGAN example's netG .pth (64x64 layout), its sizes taken off the weights", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "nabla-netg-")), "netg.png");
  const weights = join(import.meta.dirname, "../fixtures/weights/dcgan_netG_tiny.pth"); // scripts/fixtures/dcgan_netg.py
  const r = await run("sample", "--model", "dcgan", "--weights", weights, "--n", "6", "--nrow", "3", "--out", out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /6 samples of a DCGAN generator \(nz 8, ngf 2, 1 channel, 64x64\)/);
  assert.deepEqual(pngSize(out), grid(3, 2, 64));
});

test("train --model vae --nz 2: the loss falls, reconstructions and prior samples per epoch, the latent walk; sample --model vae", async () => {
  const out = mkdtempSync(join(tmpdir(), "nabla-vae-"));
  const r = await run("train", "--model", "vae", "--dataset", "mnist", "--limit", "600", "--test-limit", "100", "--epochs", "2",
    "--batch-size", "32", "--nz", "2", "--out", out, "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /vae on mnist \(600 training, 100 test images\), Adam, lr 0\.001, batch 32/);
  const history = JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as { loss: number[]; test_loss: number[] };
  // BCE + KL per image: 784·ln 2 ≈ 543 for a decoder that outputs 0.5 everywhere.
  assert.ok(history.loss[1] < history.loss[0] && history.test_loss[1] < 300, `loss ${history.loss.join(" → ")}, test_loss ${history.test_loss.join(" → ")}`);
  assert.deepEqual(pngSize(join(out, "reconstruction-epoch-2.png")), grid(8, 2, 28)); // originals above reconstructions
  assert.deepEqual(pngSize(join(out, "samples-epoch-2.png")), grid(8, 8, 28));
  assert.deepEqual(pngSize(join(out, "loss-curves.png")), [640, 380]);
  assert.deepEqual(pngSize(join(out, "latent-walk.png")), [20 * 28, 20 * 28]); // a 2-D code: 20x20 decoded points
  assert.match(r.out, /latent-walk\.png/);
  assert.match(readFileSync(join(out, "history.csv"), "utf8"), /^epoch,loss,test_loss\n0,[\d.]+,[\d.]+\n1,/);

  const png = join(out, "prior.png");
  const s = await run("sample", "--model", "vae", "--weights", join(out, "vae.safetensors"), "--n", "10", "--nrow", "5", "--out", png);
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /10 samples of a VAE from its prior N\(0, I\) \(latent 2, hidden 400, images 1x28x28\)/);
  assert.deepEqual(pngSize(png), grid(5, 2, 28));
});

test("train --model autoencoder --noise: a denoising autoencoder shows clean, noisy and rebuilt rows", async () => {
  const out = mkdtempSync(join(tmpdir(), "nabla-ae-"));
  const r = await run("train", "--model", "autoencoder", "--dataset", "mnist", "--limit", "400", "--test-limit", "100", "--epochs", "2",
    "--nz", "16", "--noise", "0.3", "--out", out, "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /inputs with Gaussian noise std 0\.3/);
  const test1 = Number(/epoch 1\/2: loss [\d.]+, test_loss ([\d.]+) \(MSE/.exec(r.out)?.[1]);
  const test2 = Number(/epoch 2\/2: loss [\d.]+, test_loss ([\d.]+) \(MSE/.exec(r.out)?.[1]);
  assert.ok(test2 < test1, `test MSE ${test1} → ${test2}`);
  assert.deepEqual(pngSize(join(out, "reconstructions.png")), grid(8, 3, 28));
  for (const f of ["autoencoder.safetensors", "history.json", "history.csv", "loss-curves.png", "loss-curves.svg"]) assert.ok(existsSync(join(out, f)), f);
});

test("generative CLI input errors: one line, non-zero exit", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-gen-"));
  const bogus = join(dir, "bogus.safetensors");
  writeFileSync(bogus, "not a safetensors file at all");
  const cases: [string[], RegExp][] = [
    [["train", "--model", "dcgam"], /^nabla: unknown model "dcgam" \(did you mean "dcgan"\?\)/],
    [["train", "--model", "vae", "--dataset", "text"], /^nabla: --model vae learns to generate images like a dataset's: train it with --dataset mnist, fashion-mnist, cifar10 \(got text\)$/],
    [["train", "--model", "vae", "--dataset", "imagenet"], /^nabla: unknown dataset "imagenet"/],
    [["train", "--model", "dcgan", "--augment", "--patience", "2"], /^nabla: --augment, --patience: for classifiers .*; dcgan trains on the whole training split$/],
    [["train", "--model", "vae", "--validation-split", "0.2"], /^nabla: --validation-split: for classifiers/],
    [["train", "--model", "vae", "--ngf", "8"], /^nabla: --ngf: not a flag of --model vae \(it takes --nz\)$/],
    [["train", "--model", "lenet5", "--nz", "8"], /^nabla: --nz: only for the generative models/],
    [["train", "--model", "dcgan", "--image-size", "48"], /^nabla: --image-size must be 32 or 64 \(the DCGAN's layouts\), got 48$/],
    [["eval", "--model", "vae", "--weights", bogus], /^nabla: eval reports a classifier's test accuracy; --model vae generates images/],
    [["sample", "--model", "gan", "--weights", bogus], /^nabla: unknown --model "gan"; choose one of dcgan, vae$/],
    [["sample", "--model", "dcgan", "--weights", join(dir, "missing.safetensors")], /^nabla: --weights .*missing\.safetensors: no such file$/],
    [["sample", "--model", "dcgan", "--weights", bogus], /^nabla: load: .*bogus\.safetensors/],
    [["sample", "--model", "dcgan", "--weights", bogus, "--n", "0"], /^error: option '--n <n>' argument '0' is invalid|^nabla: --n must be at least 1/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(...argv);
    assert.notEqual(r.code, 0, argv.join(" "));
    const lines = r.err.trim().split("\n").filter((l) => !l.startsWith("(run with --help"));
    assert.equal(lines.length, 1, `${argv.join(" ")}: one line, got ${r.err}`);
    assert.match(lines[0], pattern, argv.join(" "));
  }
});
