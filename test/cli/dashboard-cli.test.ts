// The dashboard's flags and command on bad input: one line, a non-zero exit, nothing started.
// (The dashboard itself: test/dashboard/.)

import { test } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../helpers/cli.js";

test("bad dashboard flags end with one clear line", async () => {
  const cases: [string[], RegExp][] = [
    [["train", "--model", "typical-cnn", "--dashboard", "http"], /^nabla: --dashboard must be a number, got "http"$/],
    [["train", "--model", "typical-cnn", "--dashboard", "70000"], /^nabla: --dashboard must be at most 65535, got 70000$/],
    [["train", "--model", "typical-cnn", "--dashboard-keep"], /^nabla: --dashboard-keep: keeps the --dashboard server open after training; give --dashboard too$/],
    [["train", "--model", "vae", "--dashboard"], /^nabla: --dashboard: follows nb\.fit's training of classifiers and language models; --model vae trains with a loop of its own$/],
    [["dashboard", "--logdir", "/nonexistent/runs"], /^nabla: --logdir \/nonexistent\/runs is not a folder/],
    [["dashboard", "--port", "-1"], /^nabla: --port must be at least 0, got -1$/],
  ];
  for (const [argv, pattern] of cases) {
    const r = await runCli(...argv);
    assert.notEqual(r.code, 0, argv.join(" "));
    const lines = r.err.trim().split("\n");
    assert.equal(lines.length, 1, `${argv.join(" ")}: one line, got ${r.err}`);
    assert.match(lines[0], pattern);
  }
});
