// The recurrent examples run to completion on a small slice and print what they promise.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

function runExample(file: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, ["--import", "tsx", file, ...args], { encoding: "utf8", timeout: 300_000 });
  assert.equal(r.status, 0, `${file} failed: ${r.stderr}`);
  return r.stdout;
}

test("examples/row-mnist-lstm.ts: an LSTM reading digits row by row learns in one epoch on 3,000 images", () => {
  const out = runExample("examples/row-mnist-lstm.ts", "3000");
  assert.match(out, /lstm \(LSTM\)\s+\[-1, 28, 128\]\s+80,896/);
  assert.match(out, /Total params: 82,186/);
  assert.match(out, /trained 1 epoch on 3000 images/);
  const acc = Number(/test accuracy: ([\d.]+)% on 500 images/.exec(out)?.[1]);
  assert.ok(acc > 35, `test accuracy ${acc}% after 47 steps (chance is 10%)`);
});

test("examples/char-lstm.ts: Moby Dick's character model beats the uniform guess and prints samples as it trains", () => {
  const out = runExample("examples/char-lstm.ts", "640", "1");
  assert.match(out, /Moby Dick: 1,190,317 characters, vocabulary of 83, 640 sequences of 100 used/);
  for (const when of ["before training", "mid-epoch", "after epoch 1"]) assert.match(out, new RegExp(`--- ${when}`));
  assert.equal(out.match(/^\[T=0\.5\] The whale/gm)?.length, 3);
  assert.equal(out.match(/^\[T=1\] The whale/gm)?.length, 3);
  const bits = Number(/final: val_loss [\d.]+ = ([\d.]+) bits\/char \(uniform over 83: 6\.375\)/.exec(out)?.[1]);
  assert.ok(bits < 5, `validation ${bits} bits/char after 9 steps (uniform: 6.375)`);
});

test("examples/adding-problem.ts: on packed variable-length batches the LSTM solves what the RNN cannot", () => {
  const out = runExample("examples/adding-problem.ts", "800", "20"); // lengths 10..20
  assert.match(out, /RNN\(2, 128\) \+ Linear\(128, 1\): 17,025 parameters/);
  assert.match(out, /LSTM\(2, 64\) \+ Linear\(64, 1\): 17,473 parameters/);
  const result = (name: string) => {
    const m = new RegExp(`^${name}\\s*: test MSE ([\\d.]+), solved \\(\\|error\\| < 0\\.04\\) ([\\d.]+)%`, "m").exec(out);
    assert.ok(m, `${name}'s result line in:\n${out}`);
    return { mse: Number(m[1]), solved: Number(m[2]) };
  };
  const rnn = result("RNN"), lstm = result("LSTM");
  // Predicting the mean gives 0.167: the RNN stays there, the LSTM solves the task.
  assert.ok(rnn.mse > 0.1, `RNN test MSE ${rnn.mse}`);
  assert.ok(lstm.mse < 0.01 && lstm.solved > 50, `LSTM test MSE ${lstm.mse}, solved ${lstm.solved}%`);
});
