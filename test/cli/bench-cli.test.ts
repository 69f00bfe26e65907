// `nabla bench` runs the repository's own benchmark (bench/index.ts), not a copy: its help, its
// section list, an unknown section, and what an installed package without bench/ says. The
// benchmarks themselves take minutes and are not run here.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildProgram } from "../../src/cli/main.js";
import { benchCommand, benchEntry } from "../../src/cli/bench-command.js";
import { runCli } from "../helpers/cli.js";

test("nabla bench --help names the sections and npm run bench", () => {
  const help = buildProgram().commands.find((c) => c.name() === "bench")!.helpInformation();
  assert.match(help, /Usage: nabla bench \[options\] \[sections\.\.\.\]/);
  assert.match(help, /the same as npm run bench/);
  assert.match(help, /gemm, sgemm, conv, train, compile, char-lstm, detection, epoch/);
  assert.match(help, /--list/);
});

test("nabla bench --list prints bench/index.ts's sections; an unknown section is one line, exit 2", async () => {
  let out = "";
  await benchCommand(["--list"], (s) => void (out += s));
  assert.deepEqual(out.trim().split("\n").map((l) => l.split(/\s+/)[0]), ["gemm", "sgemm", "conv", "train", "compile", "char-lstm", "detection", "epoch"]);
  assert.match(out, /^conv\s+Convolution$/m);
  const r = await runCli("bench", "convolution");
  assert.equal(r.code, 2);
  assert.equal(r.err.trim(), "nabla: bench: unknown section convolution; choose from gemm, sgemm, conv, train, compile, char-lstm, detection, epoch");
});

test("without bench/ (an installed package) nabla bench says where the benchmarks are", () => {
  assert.throws(() => benchEntry(mkdtempSync(join(tmpdir(), "nabla-pkg-"))), /^Error: bench: the benchmarks \(bench\/\) are not part of the installed package; run them in a clone of the repository \(npm ci && npm run bench\)$/);
});
