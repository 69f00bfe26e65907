// nabla train with the recurrent models: char-lstm on a text file, seq-lstm on MNIST row by row.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli as run } from "../helpers/cli.js";

/** ~6,000 characters of a 17-character vocabulary: easy to learn, quick to train on. */
function tinyText(): string {
  const words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "red", "ball"];
  let s = "", state = 7;
  const next = () => (state = (state * 48271) % 2147483647) % words.length;
  while (s.length < 6000) s += Array.from({ length: 8 }, () => words[next()]).join(" ") + ".\n";
  return s;
}

test("train --model char-lstm --dataset text: the loss falls and samples are printed and written after each epoch", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-lm-"));
  const file = join(dir, "tiny.txt");
  writeFileSync(file, tinyText());
  const out = join(dir, "run");
  const r = await run("train", "--model", "char-lstm", "--dataset", "text", "--root", file, "--seq-length", "32", "--epochs", "3",
    "--batch-size", "32", "--lr", "0.01", "--temperature", "0,1", "--sample-length", "60", "--prime", "the ", "--out", out, "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /char-lstm on text \(\d+ training, \d+ validation sequences of 32 characters, vocabulary of 17\)/);
  const history = JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as { loss: number[]; val_loss: number[] };
  assert.equal(history.loss.length, 3);
  assert.ok(history.loss[2] < history.loss[0] * 0.6, `training loss ${history.loss.join(" → ")}`);
  assert.ok(history.val_loss[2] < Math.log(17) * 0.5, `validation loss ${history.val_loss.join(" → ")} (uniform: ${Math.log(17).toFixed(3)})`);
  assert.match(r.out, /samples, after epoch 3 \(loss [\d.]+, val_loss [\d.]+\):\n {2}\[temperature 0\] the /);
  const samples = readFileSync(join(out, "samples.txt"), "utf8");
  for (const heading of ["after epoch 1", "after epoch 2", "after epoch 3", "best weights"]) assert.match(samples, new RegExp(`=== ${heading}`));
  const blocks = samples.split(/^--- temperature [\d.]+\n/m).slice(1);
  assert.equal(blocks.length, 8);
  for (const b of blocks) assert.ok(b.startsWith("the ") && b.trimEnd().length >= 60, JSON.stringify(b));
  // After three epochs the greedy sample is made of the text's words.
  const greedy = /=== best weights[^]*?--- temperature 0\n([^]*?)\n--- /.exec(samples)![1];
  const known = new Set(["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "red", "ball"]);
  const words = greedy.split(/[\s.]+/).slice(0, -1).filter(Boolean);
  assert.ok(words.filter((w) => known.has(w)).length >= words.length * 0.7, greedy);
  assert.match(r.out, /wrote .*samples\.txt/);
});

test("train --model seq-lstm --dataset mnist: the row-by-row LSTM reports test accuracy", async () => {
  const r = await run("train", "--model", "seq-lstm", "--dataset", "mnist", "--limit", "2000", "--test-limit", "300", "--epochs", "2",
    "--batch-size", "32", "--lr", "0.003", "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /seq-lstm on mnist \(1800 training, 200 validation, 300 test images\)/);
  const acc = Number(/test accuracy: ([\d.]+)%/.exec(r.out)?.[1]);
  assert.ok(acc > 40, `test accuracy ${acc}% after 2 epochs on 1,800 images (chance 10%)`);
});

test("recurrent CLI input errors: one line, non-zero exit", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-lm-"));
  const file = join(dir, "t.txt");
  writeFileSync(file, "abc abc abc\n".repeat(20));
  const cases: [string[], RegExp][] = [
    [["train", "--model", "char-lstm"], /^nabla: --model char-lstm is a character-level language model: train it with --dataset text/],
    [["train", "--model", "lenet5", "--dataset", "text", "--root", file], /^nabla: --dataset text holds characters, not labelled images: train a language model on it \(--model char-lstm\)$/],
    [["train", "--model", "lenet5", "--seq-length", "20"], /^nabla: --seq-length: only for a language model/],
    [["train", "--model", "char-lstm", "--dataset", "text", "--root", file, "--prime", "xyz"], /^nabla: --prime: character "x" \(U\+0078\) at position 0 is not in the vocabulary of 5 characters$/],
    [["train", "--model", "char-lstm", "--dataset", "text", "--root", file, "--seq-length", "1000"], /^nabla: text: .*t\.txt has 240 characters; one sample of seqLength 1000 needs 1001$/],
    [["train", "--model", "char-lstm", "--dataset", "text", "--root", join(dir, "missing.txt")], /^nabla: text: cannot read .*missing\.txt/],
    [["train", "--model", "char-lstm", "--dataset", "text", "--root", file, "--test-limit", "5"], /^nabla: --test-limit: --dataset text has no test split/],
    [["train", "--model", "char-lstm", "--dataset", "text", "--root", file, "--augment"], /^nabla: --augment: transforms images/],
    [["train", "--model", "seq-lstm", "--dataset", "cifar10", "--root", dir], /^nabla: /],
    [["transfer", "--from", file, "--model", "char-lstm", "--dataset", "text", "--root", file], /^nabla: transfer puts a new classifier head on an image model/],
    [["summary", "--model", "char-lstm"], /^nabla: --classes <n>: the vocabulary size of char-lstm \(the number of distinct characters, e\.g\. 65\) is needed to build it$/],
    [["explain", "--model", "char-lstm", "--classes", "65", "--input", "3,28,28"], /^nabla: --input of char-lstm is a sequence length, one positive integer such as 100, got "3,28,28"$/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await run(...argv);
    assert.notEqual(r.code, 0, argv.join(" "));
    const lines = r.err.trim().split("\n");
    assert.equal(lines.length, 1, `${argv.join(" ")}: one line, got ${r.err}`);
    assert.match(lines[0], pattern, argv.join(" "));
  }
});

test("nabla summary and explain trace the char LSTM on int32 character ids", async () => {
  const s = await run("summary", "--model", "char-lstm", "--classes", "65");
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /embedding \(Embedding\)\s+\[-1, 100, 64\]\s+4,160/);
  assert.match(s.out, /lstm \(LSTM\)\s+\[-1, 100, 256\]\s+329,728/);
  const e = await run("explain", "--model", "char-lstm", "--classes", "65", "--input", "64");
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /parameters: 4·256·\(64 \+ 256 \+ 2\) = 329,728/);
});
