import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, existsSync, writeFileSync, readFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";

const run = runCli;

test("summary prints the course's typical CNN with 27,562 parameters", async () => {
  const r = await run("summary", "--model", "typical-cnn");
  assert.equal(r.code, 0);
  assert.match(r.out, /Total params: 27,562/);
  assert.match(r.out, /conv2 \(Conv2d\)\s+\[-1, 16, 11, 11\]\s+1,168/);
});

test("explain shows the output-size arithmetic", async () => {
  const r = await run("explain", "--model", "lenet5", "--input", "1,28,28");
  assert.equal(r.code, 0);
  assert.match(r.out, /floor\(\(28 \+ 2·2 − 5\) \/ 1\) \+ 1 = 28/);
});

test("bad input ends with one clear line and a non-zero exit, never a stack trace", async () => {
  const cases: [string[], RegExp][] = [
    [["train", "--model", "resnet9000"], /^nabla: unknown model "resnet9000"; choose one of typical-cnn, lenet5, fashion-cnn, lenet5-1998, alexnet, .*, resnet18, .*, se-resnet50, seq-lstm, char-lstm, autoencoder, conv-autoencoder, vae, dcgan$/],
    [["train", "--model", "lenet5", "--dataset", "imagenet"], /^nabla: unknown dataset "imagenet"/],
    [["train", "--model", "lenet5", "--lr", "abc"], /^nabla: --lr must be a number, got "abc"$/],
    [["train", "--model", "lenet5", "--epochs", "0"], /^nabla: --epochs must be at least 1, got 0$/],
    [["train", "--model", "lenet5", "--dataset", "fashion-mnist"], /^nabla: --dataset fashion-mnist needs --root/],
    [["train", "--model", "lenet5", "--dataset", "fashion-mnist", "--root", "/nonexistent/fmnist"], /^nabla: .*\/nonexistent\/fmnist/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(...argv);
    assert.notEqual(r.code, 0, argv.join(" "));
    const lines = r.err.trim().split("\n");
    assert.equal(lines.length, 1, `${argv.join(" ")}: one line, got ${r.err}`);
    assert.match(lines[0], pattern);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
});

test("a truncated IDX file is reported with its path", async () => {
  const root = mkdtempSync(join(tmpdir(), "nabla-cli-"));
  const header = Buffer.from([0, 0, 8, 3, 0, 0, 0, 100, 0, 0, 0, 28, 0, 0, 0, 28]);
  writeFileSync(join(root, "train-images-idx3-ubyte"), Buffer.concat([header, Buffer.alloc(100)]));
  writeFileSync(join(root, "train-labels-idx1-ubyte"), Buffer.from([0, 0, 8, 1, 0, 0, 0, 100, ...new Array(100).fill(1)]));
  const r = await run("train", "--model", "lenet5", "--dataset", "fashion-mnist", "--root", root);
  assert.equal(r.code, 1);
  assert.match(r.err.trim(), /^nabla: .*train-images-idx3-ubyte is truncated/);
});

test("train on 3,000 MNIST images: ≥ 90% test accuracy, writes weights, history and curves", async () => {
  const out = mkdtempSync(join(tmpdir(), "nabla-run-"));
  const r = await run("train", "--model", "typical-cnn", "--dataset", "mnist", "--limit", "3000", "--test-limit", "500", "--epochs", "3", "--batch-size", "32", "--out", out, "--quiet", "--seed", "1");
  assert.equal(r.code, 0, r.err);
  const acc = Number(/test accuracy: ([\d.]+)%/.exec(r.out)?.[1]);
  assert.ok(acc >= 90, `test accuracy ${acc}% (500 test images)`);
  assert.match(r.out, /\(2700 training, 300 validation, 500 test images\)/);
  assert.match(r.out, /diagnosis: .* \((low|medium|high) confidence\)/);
  assert.match(r.out, /precision\s+recall\s+f1-score\s+support/);
  for (const f of ["best.safetensors", "history.csv", "history.json", "learning-curves.svg", "learning-curves.png", "test-report.txt", "diagnosis.json"]) {
    assert.ok(existsSync(join(out, f)), `${f} written`);
  }
  const history = JSON.parse(readFileSync(join(out, "history.json"), "utf8"));
  assert.equal(history.val_accuracy.length, 3);
  mkdirSync(join(out, "unused"), { recursive: true });
  const e = await run("eval", "--model", "typical-cnn", "--weights", join(out, "best.safetensors"));
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /accuracy: 0\.9\d+/);
});
