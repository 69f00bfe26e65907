// Every runnable example runs to completion and prints what it promises.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

function runExample(file: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, ["--import", "tsx", file, ...args], { encoding: "utf8", timeout: 240_000 });
  assert.equal(r.status, 0, `${file} failed: ${r.stderr}`);
  return r.stdout;
}

test("examples/seeds-convolution.ts prints the course's worked convolutions", () => {
  const out = runExample("examples/seeds-convolution.ts");
  assert.match(out, /\s+4\s+3\s+4\n\s+2\s+4\s+3\n\s+2\s+3\s+4/);
  assert.match(out, /\s+-5\s+-4\s+0\s+8/);
  assert.match(out, /\s+12\s+12\s+17\n\s+10\s+17\s+19\n\s+9\s+6\s+14/);
  assert.match(out, /6x6 input, k=3, p=1, s=2 -> 3/);
  assert.match(out, /-> 30x30/);
});

test("examples/train-mnist.ts trains on a small subset and reports test metrics", () => {
  const out = runExample("examples/train-mnist.ts", "3000");
  assert.match(out, /Total params: 27,562/);
  const acc = Number(/"accuracy":([\d.]+)/.exec(out)?.[1]);
  assert.ok(acc > 0.8, `test accuracy ${acc} on 500 test images after 3 epochs of batch 64 on 2,700`);
});
