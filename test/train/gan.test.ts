// nb.trainGan runs PyTorch's DCGAN training loop step for step: four iterations on a tiny dense
// generator and discriminator, from the same weights, data and noise, give torch's Loss_D,
// Loss_G, D(x), D(G(z)) and final weights (test/fixtures/gan.json, scripts/fixtures/gan.py).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as nb from "../../src/index.js";
import { decodeFixture, type Enc } from "../helpers/fixture-tensor.js";

interface Fixture {
  nz: number;
  batchSize: number;
  initial: { generator: Record<string, Enc>; discriminator: Record<string, Enc> };
  real: Enc;
  noise: Enc[];
  logs: nb.GanLogs[];
  final: { generator: Record<string, Enc>; discriminator: Record<string, Enc> };
}
const fx = JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures/gan.json"), "utf8")) as Fixture;
const stateOf = (s: Record<string, Enc>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, decodeFixture(v)]));

function tinyNets(): { generator: nb.nn.Module; discriminator: nb.nn.Module } {
  const generator = new nb.nn.Sequential(new nb.nn.Linear(fx.nz, 6), new nb.nn.Tanh());
  const discriminator = new nb.nn.Sequential(new nb.nn.Linear(6, 3), new nb.nn.LeakyReLU(0.2), new nb.nn.Linear(3, 1), new nb.nn.Sigmoid());
  generator.loadStateDict(stateOf(fx.initial.generator));
  discriminator.loadStateDict(stateOf(fx.initial.discriminator));
  return { generator, discriminator };
}

test("trainGan: the DCGAN example's loop (D on real and detached fake, then G with real labels) matches torch", async () => {
  const { generator, discriminator } = tinyNets();
  const real = decodeFixture(fx.real);
  const data = new nb.data.DataLoader(new nb.data.TensorDataset(real, nb.zeros([real.shape[0]])), { batchSize: fx.batchSize });
  let draw = 0;
  const epochs: number[] = [];
  const history = await nb.trainGan({
    generator, discriminator, data, epochs: 2, nz: fx.nz,
    noise: (n) => { assert.equal(n, fx.batchSize); return decodeFixture(fx.noise[draw++]); },
    onEpochEnd: (epoch) => { epochs.push(epoch); },
  });
  assert.equal(draw, 4);
  assert.deepEqual(epochs, [0, 1]);
  for (const key of ["lossD", "lossG", "dReal", "dFake", "dFakeAfter"] as const) {
    const want = fx.logs.map((l) => l[key]);
    history.iterations[key].forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `${key}[${i}]: ${v} vs torch ${want[i]}`));
    // Epoch figures are the means of their two iterations.
    assert.ok(Math.abs(history.epochs[key][1] - (want[2] + want[3]) / 2) < 1e-5, `${key} epoch 2`);
  }
  for (const [net, want] of [[generator, fx.final.generator], [discriminator, fx.final.discriminator]] as const) {
    const got = net.stateDict();
    for (const [k, v] of Object.entries(want)) {
      const a = Array.from(got.get(k)!.dataSync() as ArrayLike<number>), b = decodeFixture(v).dataSync();
      const diff = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
      assert.ok(diff < 1e-6, `${k} after 4 iterations differs from torch's by ${diff}`);
    }
  }
});

test("trainGan: transform, default optimizers and bad input", async () => {
  const { generator, discriminator } = tinyNets();
  const x = nb.rand([8, 6]);
  let seen = 0;
  const history = await nb.trainGan({
    generator, discriminator, data: { x, y: nb.zeros([8]) }, batchSize: 4, epochs: 1, nz: fx.nz,
    noise: (n) => nb.randn([n, fx.nz]),
    transform: (b) => { seen += b.shape[0]; return b.mul(2).sub(1); },
  });
  assert.equal(seen, 8);
  assert.equal(history.iterations.lossD.length, 2);
  assert.equal(history.epochs.lossG.length, 1);

  const base = { generator, discriminator, data: { x, y: nb.zeros([8]) }, epochs: 1, noise: (n: number) => nb.randn([n, fx.nz]) };
  await assert.rejects(nb.trainGan({ ...base, epochs: 0 }), /^RangeError: trainGan: epochs must be a positive integer, got 0$/);
  // @ts-expect-error the PyTorch example's name
  await assert.rejects(nb.trainGan({ ...base, netG: generator }), /^TypeError: trainGan: unknown option "netG" \(use generator\)/);
  const flatD = new nb.nn.Sequential(new nb.nn.Linear(6, 2), new nb.nn.Sigmoid());
  await assert.rejects(nb.trainGan({ ...base, discriminator: flatD }), /^RangeError: trainGan: the discriminator must return one probability per image, \[8\] \(or \[8, 1\]\), got \[8, 2\]$/);
});
