// What happens where the cuda backend cannot run (every machine without a GPU, CI included): nabla
// loads, nb.backends() leaves cuda out, backendUnavailableReason("cuda") and nb.cuda say why, a
// failed build warns once, and the build script skips cleanly without nvcc and records why when
// compilation fails. These tests need no GPU and run everywhere.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as nb from "../../src/index.js";
import { skipAddon, skipCuda } from "./cuda-helpers.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

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
  let stats;
  try { nb.cuda.memoryStats(); stats = "available"; } catch (e) { stats = e.message; }
  const out = { backends: nb.backends(), reason: nb.backendUnavailableReason("cuda"), available: nb.cuda.isAvailable(), stats };
  nb.backends(); nb.backendUnavailableReason("cuda");
  console.log(JSON.stringify(out));`;

test("NABLA_CUDA=0 turns the cuda backend off without a warning, and nb.cuda says why", () => {
  const { out, stderr } = child(REPORT, { NABLA_CUDA: "0" });
  assert.ok(!(out.backends as string[]).includes("cuda"));
  assert.equal(out.reason, "disabled by NABLA_CUDA=0");
  assert.equal(out.available, false);
  assert.equal(out.stats, "nb.cuda.memoryStats: the cuda backend is not available: disabled by NABLA_CUDA=0");
  assert.doesNotMatch(stderr, /NABLA_CUDA_UNAVAILABLE/);
});

test("a cuda addon whose build failed is reported with the build's reason and one warning", () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-cuda-missing-"));
  try {
    mkdirSync(join(dir, "cuda"));
    writeFileSync(join(dir, "cuda/nabla-cuda-failed.txt"), "kernel compilation failed: elementwise.cu: error: identifier undefined\n");
    const { out, stderr } = child(REPORT, { NABLA_CUDA_ADDON: join(dir, "cuda/nabla_cuda.node") });
    assert.ok(!(out.backends as string[]).includes("cuda"));
    assert.match(String(out.reason), /nabla_cuda\.node is missing \(its build failed: kernel compilation failed: elementwise\.cu: error: identifier undefined\); build it with `npm run build:cuda`/);
    const warnings = stderr.split("\n").filter((l) => l.includes("NABLA_CUDA_UNAVAILABLE"));
    assert.equal(warnings.length, 1, stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a cuda addon that was never built (no nvcc) is reported without a warning", () => {
  const { out, stderr } = child(REPORT, { NABLA_CUDA_ADDON: join(tmpdir(), "no-such-dir", "nabla_cuda.node") });
  assert.match(String(out.reason), /is missing \(it has not been built \(no nvcc when nabla was installed\?\)\)/);
  assert.equal(out.available, false);
  assert.doesNotMatch(stderr, /NABLA_CUDA_UNAVAILABLE/);
});

test("a built addon on a machine without a GPU: cuda is left out and the reason names the CUDA runtime's answer", { skip: skipAddon || (skipCuda ? false : "a GPU is present here") }, () => {
  assert.ok(!nb.backends().includes("cuda"));
  assert.match(String(nb.backendUnavailableReason("cuda")), /^no CUDA device is visible \(/);
  assert.equal(nb.cuda.isAvailable(), false);
  assert.throws(() => nb.cuda.synchronize(), /^Error: nb\.cuda\.synchronize: the cuda backend is not available: no CUDA device is visible/);
  assert.throws(() => nb.cuda.allowTF32, /nb\.cuda\.allowTF32: the cuda backend is not available/);
  assert.throws(() => nb.tensor([1, 2]).to("cuda"), /to: backend "cuda" is not available; it is not usable here: no CUDA device is visible/);
});

/** A copy of the cuda build inputs in a temporary directory. */
function buildCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "nabla-cuda-build-"));
  for (const p of ["cuda", "scripts/build-cuda.mjs", "package.json"]) cpSync(join(root, p), join(dir, p), { recursive: true });
  return dir;
}

test("the build skips with one line when there is no nvcc", () => {
  const dir = buildCopy();
  try {
    const r = spawnSync(process.execPath, [join(dir, "scripts/build-cuda.mjs")], {
      cwd: dir, encoding: "utf8", env: { ...process.env, PATH: dirname(process.execPath), CUDA_HOME: join(dir, "no-cuda"), CUDA_PATH: "", NVCC: "" },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "nabla: cuda: skipped (no nvcc)");
    assert.ok(!existsSync(join(dir, "build")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the install hook succeeds when compilation fails, and records why (--strict makes it fail)", () => {
  const dir = buildCopy();
  try {
    const env = { ...process.env, NVCC: "/bin/false", NODE_OPTIONS: "" };
    const r = spawnSync(process.execPath, [join(dir, "scripts/build-cuda.mjs")], { cwd: dir, encoding: "utf8", timeout: 120_000, env });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1, r.stdout);
    assert.match(lines[0], /^nabla: cuda: not built \(kernel compilation failed: .+\); nabla runs without the cuda backend\. Log: /);
    assert.match(readFileSync(join(dir, "build/cuda/nabla-cuda-failed.txt"), "utf8"), /kernel compilation failed/);
    assert.ok(!existsSync(join(dir, "build/cuda/nabla_cuda.node")));
    const strict = spawnSync(process.execPath, [join(dir, "scripts/build-cuda.mjs"), "--strict"], { cwd: dir, encoding: "utf8", timeout: 120_000, env });
    assert.equal(strict.status, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
