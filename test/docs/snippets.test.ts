// The guide runner's own rules: fenced blocks are found with their sections, `// prints:` and
// `// matches:` promises are read and checked in order, and imports of "nabla" are redirected.

import { test } from "node:test";
import assert from "node:assert/strict";
import { consoleCommands, expectationsOf, extractBlocks, toModule, unmetExpectations } from "./snippets.js";

const doc = [
  "# Guide",
  "## 1. Tensors",
  "Some prose.",
  "```ts",
  'import * as nb from "nabla";',
  "console.log(1 + 1); // prints: 2",
  "console.log(`acc ${0.93}`); // matches: /acc 0\\.9\\d/",
  "```",
  "## 2. CLI",
  "```console",
  "$ npx nabla summary --model lenet5",
  "Total params: 61,706",
  "",
  "$ npx nabla explain --model lenet5",
  "```",
].join("\n");

test("extractBlocks finds fenced blocks with their language, line and section", () => {
  const blocks = extractBlocks(doc);
  assert.deepEqual(blocks.map((b) => [b.lang, b.line, b.section]), [["ts", 4, "1. Tensors"], ["console", 10, "2. CLI"]]);
  assert.equal(blocks[0].code.split("\n").length, 3);
  assert.throws(() => extractBlocks("```ts\nlet a = 1;\n"), /unclosed code fence opened at line 1/);
});

test("expectations are read from comments and checked in order", () => {
  const code = extractBlocks(doc)[0].code;
  const ex = expectationsOf(code);
  assert.deepEqual(ex.map((e) => e.kind), ["prints", "matches"]);
  assert.deepEqual(unmetExpectations("2\nacc 0.93\n", ex), []);
  assert.equal(unmetExpectations("2\nacc 0.71\n", ex).length, 1, "a different number fails the regex");
  assert.match(unmetExpectations("3\nacc 0.93\n", ex)[0], /line 2: expected the output to contain "2"/);
  // Order matters: the regex must match after the text the first check found.
  assert.equal(unmetExpectations("acc 0.93\n2\n", ex).length, 1);
});

test("imports of nabla are rewritten to a relative path of this checkout's index", () => {
  const out = toModule('import * as nb from "nabla";\nimport { join } from "node:path";', "/tmp/x/snippet-01.mts", "/work/repo/src/index.ts");
  assert.equal(out, 'import * as nb from "../../work/repo/src/index.js";\nimport { join } from "node:path";');
});

test("console blocks split into commands and their output lines", () => {
  const [, block] = extractBlocks(doc);
  assert.deepEqual(consoleCommands(block), [
    { command: "npx nabla summary --model lenet5", output: ["Total params: 61,706"] },
    { command: "npx nabla explain --model lenet5", output: [] },
  ]);
});
