// End to end on the native backend: it registers ahead of cpu, tensors move between the two, and
// one Adam training step of the course's CNNs gives the same loss and parameters as on cpu. Also
// what happens without the addon: nabla falls back to cpu and says why, once.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as nb from "../../src/index.js";
import { skipNative } from "./native-helpers.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

test("native is listed first and tensors move between cpu and native", { skip: skipNative }, () => {
  assert.deepEqual(nb.backends().slice(0, 2), ["native", "cpu"]);
  assert.equal(nb.backendUnavailableReason("native"), undefined);
  const a = nb.tensor([[1, 2, 3], [4, 5, 6]], { device: "cpu" });
  const n = a.to("native");
  assert.equal(n.device, "native");
  assert.deepEqual(nb.relu(n.sub(3)).toArray(), [[0, 0, 0], [1, 2, 3]]);
  assert.deepEqual(n.transpose(0, 1).to("cpu").toArray(), [[1, 4], [2, 5], [3, 6]]);
});

/** Loss, gradients and parameters after one Adam step of `model` from the same seed on `device`. */
function oneStep(factory: () => nb.nn.Module, device: string, batch: number): { loss: number; grads: Float32Array[]; params: Float32Array[] } {
  nb.manualSeed(7);
  const model = factory().to(device);
  model.train();
  const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-2 });
  nb.manualSeed(11);
  const x = nb.rand([batch, 1, 28, 28], { device });
  const y = nb.randint(0, 10, [batch], { device });
  opt.zeroGrad();
  const loss = nb.nn.functional.crossEntropy(model.forward(x) as nb.Tensor, y);
  loss.backward();
  const grads = model.parameters().map((p) => Float32Array.from(p.grad!.dataSync() as Float32Array));
  opt.step();
  return { loss: loss.item(), grads, params: model.parameters().map((p) => Float32Array.from(p.dataSync() as Float32Array)) };
}

for (const [name, factory] of [
  ["typicalCnn", () => nb.models.typicalCnn()],
  ["lenet5", () => nb.models.lenet5()],
  ["fashionCnn (batch norm)", () => nb.models.fashionCnn()],
] as const) {
  test(`one Adam training step of ${name} on native equals cpu (loss, gradients and parameters)`, { skip: skipNative }, () => {
    const onCpu = oneStep(factory as () => nb.nn.Module, "cpu", 16);
    const onNative = oneStep(factory as () => nb.nn.Module, "native", 16);
    assert.ok(Math.abs(onNative.loss - onCpu.loss) <= 1e-5 * Math.abs(onCpu.loss), `loss ${onNative.loss} vs ${onCpu.loss}`);
    assert.equal(onNative.params.length, onCpu.params.length);
    onCpu.grads.forEach((g, k) => {
      // Gradients within 1e-3 of the parameter's largest gradient: float32 accumulation on native,
      // float64 on cpu, through a few layers.
      const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (let i = 0; i < g.length; i++) {
        assert.ok(Math.abs(onNative.grads[k][i] - g[i]) <= 1e-3 * scale + 1e-7, `gradient ${k} element ${i}: ${onNative.grads[k][i]} vs ${g[i]} (largest ${scale})`);
      }
      // Adam's first step is lr·g/(|g| + eps): about ±lr wherever |g| ≫ eps, where it is well
      // conditioned. (A conv bias before batch norm has a gradient of rounding noise, ~0.)
      const p = onCpu.params[k];
      for (let i = 0; i < p.length; i++) {
        if (Math.abs(g[i]) < 1e-3 * scale || Math.abs(g[i]) < 1e-6) continue;
        assert.ok(Math.abs(onNative.params[k][i] - p[i]) <= 1e-5 + 1e-5 * Math.abs(p[i]), `parameter ${k} element ${i}: ${onNative.params[k][i]} vs ${p[i]}`);
      }
    });
  });
}

/** Run a module snippet that imports nabla in a child process; its last stdout line as JSON, and stderr. */
function child(body: string, env: NodeJS.ProcessEnv): { out: Record<string, unknown>; stderr: string } {
  const script = `import * as nb from ${JSON.stringify(join(root, "src/index.ts"))};\n${body}`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: root, encoding: "utf8", env: { ...process.env, NABLA_BACKEND: "", ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return { out: JSON.parse(r.stdout.trim().split("\n").pop()!), stderr: r.stderr };
}

const REPORT = `
  const out = { backends: nb.backends(), reason: nb.backendUnavailableReason("native"), device: nb.tensor([1]).device };
  nb.backends(); nb.backendUnavailableReason("native");
  console.log(JSON.stringify(out));`;

test("when the addon's build failed nabla runs on cpu, and backends() / backendUnavailableReason / one warning say why", () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-native-missing-"));
  try {
    mkdirSync(join(dir, "build"));
    writeFileSync(join(dir, "build/nabla-native-failed.txt"), "make: g++: No such file or directory\n");
    const { out, stderr } = child(REPORT, { NABLA_NATIVE_ADDON: join(dir, "build/Release/nabla_native.node") });
    assert.deepEqual((out.backends as string[]).filter((b) => b !== "wasm"), ["cpu"]); // wasm, opt-in, ranks after cpu
    assert.equal(out.device, "cpu");
    assert.match(String(out.reason), /nabla_native\.node is missing \(its build failed: make: g\+\+: No such file or directory\); build it with `npm run build:native`/);
    const warnings = stderr.split("\n").filter((l) => l.includes("NABLA_NATIVE_UNAVAILABLE"));
    assert.equal(warnings.length, 1, stderr);
    assert.match(warnings[0], /the native backend is unavailable, running on cpu: .*its build failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an addon that was never built is reported by backendUnavailableReason, without a warning", () => {
  const { out, stderr } = child(REPORT, { NABLA_NATIVE_ADDON: join(tmpdir(), "no-such-dir", "build/Release/nabla_native.node") });
  assert.deepEqual((out.backends as string[]).filter((b) => b !== "wasm"), ["cpu"]); // wasm, opt-in, ranks after cpu
  assert.match(String(out.reason), /is missing \(it has not been built\)/);
  assert.doesNotMatch(stderr, /NABLA_NATIVE_UNAVAILABLE/);
});

test("NABLA_NATIVE=0 turns the backend off without a warning", () => {
  const { out, stderr } = child(REPORT, { NABLA_NATIVE: "0" });
  assert.deepEqual((out.backends as string[]).filter((b) => b !== "wasm"), ["cpu"]); // wasm, opt-in, ranks after cpu
  assert.equal(out.reason, "disabled by NABLA_NATIVE=0");
  assert.doesNotMatch(stderr, /NABLA_NATIVE_UNAVAILABLE/);
});

test("the install hook succeeds when compilation fails, and records why", () => {
  // A copy of the build inputs in a temporary directory, built with a compiler that always fails.
  const dir = mkdtempSync(join(tmpdir(), "nabla-native-build-"));
  try {
    for (const p of ["binding.gyp", "native", "scripts/build-native.mjs", "package.json"]) cpSync(join(root, p), join(dir, p), { recursive: true });
    const r = spawnSync(process.execPath, [join(dir, "scripts/build-native.mjs")], {
      cwd: dir, encoding: "utf8", timeout: 120_000, env: { ...process.env, CXX: "false", CC: "false", NODE_OPTIONS: "" },
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1, r.stdout);
    assert.match(lines[0], /^nabla: native backend not built \(.+\); nabla will run on the cpu backend\. Log: /);
    assert.ok(existsSync(join(dir, "build/nabla-native-failed.txt")));
    assert.ok(readFileSync(join(dir, "build/nabla-native-failed.txt"), "utf8").trim().length > 0);
    assert.ok(!existsSync(join(dir, "build/Release/nabla_native.node")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
