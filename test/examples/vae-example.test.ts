// examples/vae.ts (PyTorch's VAE example) runs to completion on a slice of MNIST, prints the
// example's per-epoch lines and writes its PNG grids (and, with --latent 2, the latent walk).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pngjs from "pngjs";

test("examples/vae.ts --latent 2: two epochs on 1,000 digits: training loss falls, test loss per image below 270, grids drawn", () => {
  const out = mkdtempSync(join(tmpdir(), "nabla-vae-"));
  try {
    const r = spawnSync(process.execPath, ["--import", "tsx", "examples/vae.ts", "--epochs", "2", "--limit", "1000", "--test-limit", "300", "--latent", "2", "--out", out],
      { encoding: "utf8", timeout: 240_000 });
    assert.equal(r.status, 0, `examples/vae.ts failed: ${r.stderr}`);
    assert.match(r.stdout, /VAE 784-400-2: 631,188 parameters; 1000 training and 300 test images/);
    const lines = [...r.stdout.matchAll(/====> Epoch: (\d) Average loss: ([\d.]+) {2}====> Test set loss: ([\d.]+) \(z = mu: ([\d.]+)\)/g)];
    assert.deepEqual(lines.map((m) => Number(m[1])), [1, 2]);
    const testLoss = Number(lines[1][3]);
    assert.ok(testLoss < 270 && Number(lines[1][2]) < Number(lines[0][2]), r.stdout);
    assert.match(r.stdout, /final: test loss per image [\d.]+ after 2 epochs \(PyTorch's example: about 106 after 10\)/);
    const size = (name: string): [number, number] => {
      const png = pngjs.PNG.sync.read(readFileSync(join(out, name)));
      return [png.width, png.height];
    };
    // 8 digits over their 8 reconstructions, 64 prior samples, at scale 2 with 2-pixel padding.
    assert.deepEqual(size("reconstruction_2.png"), [8 * 56 + 9 * 2, 2 * 56 + 3 * 2]);
    assert.deepEqual(size("sample_1.png"), [8 * 56 + 9 * 2, 8 * 56 + 9 * 2]);
    assert.deepEqual(size("latent_walk.png"), [20 * 28, 20 * 28]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
