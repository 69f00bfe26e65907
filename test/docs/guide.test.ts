// docs/guide.md, "the course in code", is executable: every ```ts block runs as its own program
// (two at a time) and must exit cleanly and print what its `// prints:` / `// matches:` comments
// promise; the blocks also type-check against the public API, so an option the library does not
// have cannot hide in the guide. The CLI commands it shows use only options the CLI has, and its
// `nabla summary` / `nabla explain` sessions print what the guide shows.
//
// GUIDE_SNIPPETS=3,5 runs only those blocks (1-based), handy while editing the guide.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import type { Command } from "commander";
import { main, buildProgram } from "../../src/cli/main.js";
import {
  consoleCommands, expectationsOf, extractBlocks, runModule, shellWords, unmetExpectations, writeModule, type Block,
} from "./snippets.js";

const ROOT = resolve(import.meta.dirname, "../..");
const GUIDE = join(ROOT, "docs/guide.md");
const INDEX = join(ROOT, "src/index.ts");
const blocks = extractBlocks(readFileSync(GUIDE, "utf8"));
const snippets = blocks.filter((b) => b.lang === "ts");
const only = process.env.GUIDE_SNIPPETS?.split(",").map(Number);
const workDir = mkdtempSync(join(tmpdir(), "nabla-guide-test-"));
const files = snippets.map((s, i) => writeModule(workDir, `snippet-${String(i + 1).padStart(2, "0")}.mts`, s.code, INDEX));

test.after(() => rmSync(workDir, { recursive: true, force: true }));

const label = (b: Block, i: number) => `snippet ${i + 1} (docs/guide.md:${b.line}, "${b.section}")`;

test("the guide has a runnable snippet for every part of the course", () => {
  const sections = new Set(snippets.map((s) => s.section.replace(/^\d+\.\s*/, "").toLowerCase()));
  for (const topic of ["tensors", "convolution", "cnn", "data", "validation", "learning curves", "early stopping", "regularization", "augmentation", "optimizers", "k-fold", "search", "saving"]) {
    assert.ok([...sections].some((s) => s.includes(topic)), `no ts snippet in a section about ${topic}; sections: ${[...sections].join(" | ")}`);
  }
  for (const s of snippets) assert.match(s.code, /from "nabla"/, `snippet at docs/guide.md:${s.line} should import from "nabla" like user code`);
});

test("every ts snippet runs to completion and prints what the guide says", { concurrency: 2 }, async (t) => {
  await Promise.all(snippets.map((block, i) => {
    if (only && !only.includes(i + 1)) return Promise.resolve();
    return t.test(label(block, i), async () => {
      // The snippets write under os.tmpdir(): point it into workDir, which is removed afterwards.
      const tmp = join(workDir, `tmp-${i + 1}`);
      mkdirSync(tmp);
      const r = await runModule(files[i], { cwd: ROOT, timeoutMs: 90_000, env: { ...process.env, TMPDIR: tmp } });
      const tail = (s: string) => s.split("\n").slice(-25).join("\n");
      assert.equal(r.code, 0, `exit code ${r.code} after ${(r.ms / 1000).toFixed(1)}s\n--- stderr ---\n${tail(r.stderr)}\n--- stdout ---\n${tail(r.stdout)}`);
      const failures = unmetExpectations(r.stdout, expectationsOf(block.code));
      assert.deepEqual(failures, [], `${failures.join("\n")}\n--- stdout ---\n${r.stdout}`);
    });
  }));
});

/** tsc over the snippet files, started at once so it overlaps the runs. */
function typecheckSnippets(): Promise<{ code: number | null; text: string }> {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const tsconfig = join(workDir, "tsconfig.json");
  writeFileSync(tsconfig, JSON.stringify({
    compilerOptions: {
      target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2022"], strict: true,
      noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")],
    },
    files,
  }));
  return new Promise((done) => {
    const child = spawn(process.execPath, [tsc, "-p", tsconfig], { cwd: ROOT });
    let text = "";
    child.stdout.on("data", (d) => (text += d));
    child.stderr.on("data", (d) => (text += d));
    child.on("close", (code) => done({ code, text }));
  });
}
const typecheck = only ? null : typecheckSnippets();

test("the ts snippets type-check against nabla's public API", { skip: only !== undefined }, async () => {
  const out = await typecheck!;
  // Errors point into the guide: "snippet-03.mts(12,5): error …" → "docs/guide.md:110:5 (snippet 3): error …".
  const snippetErrors = out.text.split("\n").filter((l) => /snippet-\d+\.mts\(\d+,\d+\)/.test(l)).map((l) => {
    const [, n, row, col] = /snippet-(\d+)\.mts\((\d+),(\d+)\)/.exec(l)!.map(Number);
    return l.replace(/^.*snippet-\d+\.mts\(\d+,\d+\)/, `docs/guide.md:${snippets[n - 1].line + row}:${col} (snippet ${n})`);
  });
  assert.deepEqual(snippetErrors, [], snippetErrors.join("\n"));
  // Errors inside src/ are the library's own (npm run typecheck reports them); anything else
  // (a bad tsconfig, a missing @types package) means the check itself did not run.
  const setupErrors = out.text.split("\n").filter((l) => /error TS\d+/.test(l) && !/snippet-\d+\.mts/.test(l) && !/(^|\/)src\//.test(l));
  assert.deepEqual(setupErrors, [], `tsc could not check the snippets:\n${out.text}`);
});

/** Run the CLI in-process and capture what it prints with console.log. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error;
  console.log = (...a: unknown[]) => { out.push(a.join(" ")); };
  console.error = (...a: unknown[]) => { err.push(a.join(" ")); };
  try {
    const code = await main(argv);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const shellBlocks = blocks.filter((b) => b.lang === "sh" || b.lang === "console");
const nablaCommands = shellBlocks.flatMap((b) => {
  const lines = b.lang === "console" ? consoleCommands(b).map((c) => c.command) : b.code.split("\n");
  return lines.map((l) => shellWords(l)).filter((w) => w[0] === "npx" && w[1] === "nabla").map((w) => ({ words: w.slice(2), line: b.line }));
});

test("every `npx nabla` command in the guide uses a real command and real options", () => {
  assert.ok(nablaCommands.some((c) => c.words[0] === "train"), "the guide shows `npx nabla train`");
  const program = buildProgram();
  for (const { words, line } of nablaCommands) {
    const command = program.commands.find((c: Command) => c.name() === words[0]);
    assert.ok(command, `docs/guide.md:${line}: no nabla command "${words[0]}"`);
    const flags = new Set(command!.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[]));
    for (const w of words.slice(1).filter((x) => x.startsWith("-") && x !== "--help")) {
      assert.ok(flags.has(w), `docs/guide.md:${line}: \`nabla ${words[0]}\` has no option ${w} (it has ${[...flags].join(" ")})`);
    }
  }
});

test("the guide's `nabla summary` / `nabla explain` sessions print what it shows", async () => {
  const sessions = shellBlocks.filter((b) => b.lang === "console").flatMap((b) => consoleCommands(b).map((c) => ({ ...c, line: b.line })));
  const inspected = sessions.filter((s) => /^npx nabla (summary|explain)\b/.test(s.command));
  assert.ok(inspected.length > 0, "the guide shows a `nabla summary` session");
  for (const s of inspected) {
    const r = await cli(shellWords(s.command).slice(2));
    assert.equal(r.code, 0, `${s.command}: ${r.err}`);
    // The shown lines are an excerpt (lines of "…" stand for the rest), in the order printed.
    const shown = s.output.filter((l) => l.trim() !== "…");
    const failures = unmetExpectations(r.out, shown.map((text, i) => ({ kind: "prints" as const, text, line: i + 1 })));
    assert.deepEqual(failures, [], `docs/guide.md:${s.line}: ${s.command}\n${failures.join("\n")}\n--- printed ---\n${r.out}`);
  }
});
