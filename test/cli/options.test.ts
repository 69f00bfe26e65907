// The CLI's options say what they do and do what they say (issue 14, item 8; issue 13, item 6):
// --input is C,H,W, --limit limits the training images only, optimizer flags go through
// nb.optim's registry with only what was given, and bad values end with one clear line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli as run } from "../helpers/cli.js";
import { buildProgram } from "../../src/cli/main.js";
import { optimizerOptions, CLI_OPTIMIZER_DEFAULTS } from "../../src/cli/optimizer-flags.js";

function help(command: string): string {
  return buildProgram().commands.find((c) => c.name() === command)!.helpInformation().replace(/\s+/g, " ");
}

async function failsWith(argv: string[], pattern: RegExp): Promise<void> {
  const r = await run(...argv);
  assert.equal(r.code, 2, `${argv.join(" ")}: exit code 2, got ${r.code} (${r.err})`);
  const lines = r.err.trim().split("\n");
  assert.equal(lines.length, 1, `${argv.join(" ")}: one line, got ${r.err}`);
  assert.match(lines[0], pattern);
}

test("summary --input 224,224 is refused: an image input is C,H,W", async () => {
  await failsWith(["summary", "--model", "resnet18", "--input", "224,224"],
    /^nabla: --input must be the image shape C,H,W \(channels, height, width; resnet18 is designed for 3,224,224\), got "224,224"; for 224x224 images with 3 channels, write 3,224,224$/);
  await failsWith(["explain", "--model", "lenet5", "--input", "28"], /^nabla: --input must be the image shape C,H,W .*lenet5 is designed for 1,28,28\), got "28"$/);
  await failsWith(["summary", "--model", "lenet5", "--input", "1,28,28,1"], /^nabla: --input must be the image shape C,H,W/);
  await failsWith(["summary", "--model", "lenet5", "--input", "1,a,28"], /^nabla: --input must be three positive integers C,H,W such as 1,28,28, got "1,a,28"$/);
  await failsWith(["summary", "--model", "lenet5", "--input", "0,28,28"], /^nabla: --input must be three positive integers/);
  // Three numbers work, with a comma or an x.
  const ok = await run("summary", "--model", "lenet5", "--input", "3x28x28");
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /Conv2d/);
  assert.match(help("summary"), /--input <shape> input shape C,H,W without the batch, e\.g\. 1,28,28 or 3,224,224/);
});

test("--limit limits the training images only, as the help says; --test-limit the test images", async () => {
  assert.match(help("train"), /--limit <n> read only the first n images of the training split .*the validation split is held out of these\. The test split stays whole \(see --test-limit\)/);
  assert.match(help("train"), /--test-limit <n> evaluate on only the first n images of the test split \(default: all of it\)/);
  assert.match(help("transfer"), /--limit <n> read only the first n images of the training split/);
  // The user's run: --limit 64 keeps all 10,000 MNIST test images.
  const r = await run("train", "--model", "typical-cnn", "--limit", "64", "--epochs", "1", "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\(58 training, 6 validation, 10000 test images\)/);
  assert.match(r.out, /accuracy\s+[\d.]+\s+10000/);
  const t = await run("train", "--model", "typical-cnn", "--limit", "64", "--test-limit", "50", "--epochs", "1", "--quiet");
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /\(58 training, 6 validation, 50 test images\)/);
});

test("optimizer flags: only what was given reaches the optimizer; --weight-decay 0 is 0", async () => {
  assert.deepEqual(optimizerOptions({ optimizer: "adamw", weightDecay: 0 }), { name: "adamw", options: { weightDecay: 0 } });
  assert.deepEqual(optimizerOptions({ optimizer: "RMSprop" }), { name: "rmsprop", options: {} });
  assert.deepEqual(optimizerOptions({ optimizer: "sgd" }), { name: "sgd", options: { lr: 0.01 } }, "the one CLI default");
  assert.deepEqual(optimizerOptions({ optimizer: "sgd", lr: 0.1, momentum: 0.9 }), { name: "sgd", options: { lr: 0.1, momentum: 0.9 } });
  assert.deepEqual(CLI_OPTIMIZER_DEFAULTS, { sgd: { lr: 0.01 } });

  const base = ["train", "--model", "typical-cnn", "--limit", "20", "--test-limit", "10", "--validation-split", "0", "--epochs", "1", "--quiet"];
  const off = await run(...base, "--optimizer", "adamw", "--weight-decay", "0");
  assert.equal(off.code, 0, off.err);
  assert.match(off.out, /, AdamW, lr 0\.001, batch 32,/, "no weight decay");
  const on = await run(...base, "--optimizer", "adamw");
  assert.match(on.out, /, AdamW, lr 0\.001, weight decay 0\.01, batch 32,/, "torch's default decay");
  const rms = await run(...base, "--optimizer", "rmsprop");
  assert.match(rms.out, /, RMSprop, lr 0\.01, batch 32,/, "torch's RMSprop lr, no momentum");
  const sgd = await run(...base, "--optimizer", "sgd", "--momentum", "0.9");
  assert.match(sgd.out, /, SGD, lr 0\.01, momentum 0\.9, batch 32,/);

  // The defaults are declared once and --help shows them.
  const h = help("train");
  assert.match(h, /--optimizer <name> sgd, adam, adamw, rmsprop, adagrad, adadelta, nadam \(default: "adam"\)/);
  assert.match(h, /--lr <x> learning rate \(default: sgd 0\.01, adam 0\.001, adamw 0\.001, rmsprop 0\.01, adagrad 0\.01, adadelta 1, nadam 0\.002;/);
  assert.match(h, /--momentum <x> momentum of sgd and rmsprop \(default 0\)/);
  assert.match(h, /--weight-decay <x> weight decay \(default: the optimizer's own, 0, adamw 0\.01; 0 turns it off\)/);
  // transfer declares the same flags through the same helper.
  for (const flag of ["--optimizer <name>", "--lr <x>", "--momentum <x>", "--weight-decay <x>"]) assert.ok(help("transfer").includes(flag), flag);
});

test("bad values end with one clear line before any data is read", async () => {
  const cases: [string[], RegExp][] = [
    [["train", "--model", "lenet5", "--optimizer", "adamm"], /^nabla: unknown --optimizer "adamm" \(did you mean "adam"\?\); choose one of sgd, adam, adamw, rmsprop, adagrad, adadelta, nadam$/],
    [["train", "--model", "lenet5", "--momentum", "0.9"], /^nabla: --momentum: adam has no momentum \(sgd and rmsprop have\)/],
    [["train", "--model", "lenet5", "--dropout", "0.5"], /^nabla: --dropout: lenet5 has no dropout layers; the models with dropout are typical-cnn, /],
    [["train", "--model", "resnt18"], /^nabla: unknown model "resnt18" \(did you mean "resnet18"\?\); choose one of /],
    [["summary", "--model", "VGG-16"], /^$/], // case and punctuation are forgiven: this one succeeds (checked below)
    [["train", "--model", "lenet5", "--dataset", "cifar"], /^nabla: unknown dataset "cifar" \(did you mean "cifar10"\?\)/],
    [["train", "--model", "lenet5", "--schedule", "cosin"], /^nabla: unknown --schedule "cosin" \(did you mean "cosine"\?\)/],
    [["train", "--model", "lenet5", "--epochs", "-1"], /^nabla: --epochs must be at least 1, got -1$/],
    [["train", "--model", "lenet5", "--epochs", "2.5"], /^nabla: --epochs must be an integer, got 2\.5$/],
    [["train", "--model", "lenet5", "--batch-size", "abc"], /^nabla: --batch-size must be a number, got "abc"$/],
    [["train", "--model", "lenet5", "--weight-decay", "-1"], /^nabla: --weight-decay must be at least 0, got -1$/],
    [["train", "--model", "lenet5", "--limit", "5"], /^nabla: --limit must be at least 10, got 5$/],
    [["train", "--model", "lenet5", "--test-limit", "0"], /^nabla: --test-limit must be at least 1, got 0$/],
    [["train", "--model", "lenet5", "--validation-split", "0.95"], /^nabla: --validation-split must be at most 0\.9, got 0\.95$/],
  ];
  for (const [argv, pattern] of cases) {
    if (argv[0] === "summary") {
      const ok = await run(...argv);
      assert.equal(ok.code, 0, ok.err);
      continue;
    }
    await failsWith(argv, pattern);
  }
});
