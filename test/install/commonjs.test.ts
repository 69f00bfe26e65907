// nabla as a dependency of someone else's project: a CommonJS one (what `npm init -y` makes) must
// be able to `require("nabla")` — Node ≥ 20.19 / 22.12 loads the ES module through require(esm) —
// and an ES module must be able to import it, both getting the same, working library. TypeScript in
// a CommonJS project gets the types. The project is made in a temporary folder with
// node_modules/nabla linked to this checkout (what npm does for a `file:` dependency), so nothing
// is downloaded; it uses the compiled dist/ that `npm ci` (the prepare script) builds.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = realpathSync(fileURLToPath(new URL("../../", import.meta.url)));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const entry = join(root, "dist", "index.js");
const noDist = existsSync(entry) ? false : "dist/ is not built (npm ci or npm run build builds it)";

const project = mkdtempSync(join(tmpdir(), "nabla-cjs-project-"));
test.after(() => rmSync(project, { recursive: true, force: true }));
// package.json as `npm init -y` writes it: no "type", so .js files are CommonJS.
writeFileSync(join(project, "package.json"), JSON.stringify({
  name: "my-app", version: "1.0.0", main: "index.js", license: "ISC", dependencies: { nabla: `file:${root}` },
}, null, 2));
mkdirSync(join(project, "node_modules"));
symlinkSync(root, join(project, "node_modules", "nabla"), "junction");

/** Runs node in the project folder (never with the test runner's tsx loader). */
function node(args: string[]) {
  const r = spawnSync(process.execPath, args, { cwd: project, encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_OPTIONS: "", NABLA_BACKEND: "" } });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

// Something real: a 2×2 convolution (the course's kind of arithmetic), a matmul and a gradient.
const PROGRAM = `
  const x = nb.tensor([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]);
  const w = nb.tensor([[[[1, 0], [0, -1]]]]).requiresGrad_();
  const y = nb.conv2d(x, w);
  y.sum().backward();
  const m = nb.tensor([[1, 2], [3, 4]]).matmul(nb.tensor([[5], [6]]));
  console.log(JSON.stringify({ y: y.toArray(), grad: w.grad.toArray(), m: m.toArray(), backends: nb.backends() }));
`;
const EXPECTED = { y: [[[[-4, -4], [-4, -4]]]], grad: [[[[12, 16], [24, 28]]]], m: [[17], [39]] };

test("package.json lets both require and import reach the compiled entry, with its types", () => {
  const dot = pkg.exports["."];
  for (const condition of ["require", "import", "default"]) assert.equal(dot[condition], "./dist/index.js", `exports["."].${condition}`);
  assert.equal(Object.keys(dot)[0], "types", "\"types\" must come first, or TypeScript never reads it");
  assert.equal(dot.types, "./dist/index.d.ts");
  assert.equal(pkg.types, "./dist/index.d.ts");
  // require(esm) is on by default from Node 20.19 (20.x) and 22.12 (22.x); engines says so.
  assert.equal(pkg.engines.node, "^20.19.0 || >=22.12.0");
  assert.equal((process.features as { require_module?: boolean }).require_module, true, `this Node (${process.version}) cannot require() ES modules`);
});

test("a CommonJS project can require(\"nabla\") and compute with it", { skip: noDist }, () => {
  const r = node(["-e", `const nb = require("nabla");\n${PROGRAM}\nconsole.log(require.resolve("nabla"));`]);
  assert.equal(r.status, 0, r.stderr);
  const [json, resolved] = r.stdout.split("\n");
  const { backends, ...values } = JSON.parse(json);
  assert.deepEqual(values, EXPECTED);
  assert.ok(backends.includes("cpu"), String(backends));
  assert.equal(resolved, entry);
  assert.doesNotMatch(r.stderr, /ERR_REQUIRE_ASYNC_MODULE|ExperimentalWarning/, "no top-level await on the entry's import path, no warning");
});

test("a CommonJS file (index.js of the project) and an ES module (.mjs) in it get the same library", { skip: noDist }, () => {
  writeFileSync(join(project, "index.js"), `"use strict";\nconst nb = require("nabla");\n${PROGRAM}`);
  writeFileSync(join(project, "main.mjs"), `import * as nb from "nabla";\n${PROGRAM}`);
  const cjs = node(["index.js"]);
  const esm = node(["main.mjs"]);
  assert.equal(cjs.status, 0, cjs.stderr);
  assert.equal(esm.status, 0, esm.stderr);
  assert.deepEqual(JSON.parse(esm.stdout), JSON.parse(cjs.stdout));
  const { backends, ...values } = JSON.parse(esm.stdout);
  assert.deepEqual(values, EXPECTED);
  assert.ok(backends.includes("cpu"), String(backends));
  // One module instance whichever way it is loaded: require() of the ES module returns its namespace.
  const both = node(["--input-type=module", "-e", `import { createRequire } from "node:module"; import * as nb from "nabla";
    const req = createRequire(process.cwd() + "/index.js")("nabla"); console.log(req.tensor === nb.tensor);`]);
  assert.equal(both.stdout, "true", both.stderr);
});

test("the nabla command runs in the project (its bin, as npx would link it)", { skip: noDist }, () => {
  const bin = join(project, "node_modules", "nabla", pkg.bin.nabla);
  const r = node([bin, "summary", "--model", "lenet5"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Total params: 61,706/);
});

test("TypeScript in a CommonJS project resolves nabla's types (module nodenext, node20 and commonjs)", { skip: noDist }, () => {
  writeFileSync(join(project, "use.ts"), `import * as nb from "nabla";\nconst t: nb.Tensor = nb.tensor([1, 2, 3]);\nexport const n: number = t.sum().item();\n`);
  writeFileSync(join(project, "use-require.cts"), `import nb = require("nabla");\nexport const n: number = nb.tensor([1, 2, 3]).sum().item();\n`);
  const files = [join(project, "use.ts"), join(project, "use-require.cts")];
  // One host for all three programs, so the declaration files are parsed once.
  const cache = new Map<string, ts.SourceFile | undefined>();
  const configs: [string, ts.CompilerOptions][] = [
    ["nodenext", { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext }],
    ["node20", { module: (ts.ModuleKind as unknown as Record<string, number>).Node20 ?? ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.Node16 }],
    ["commonjs", { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true }],
  ];
  for (const [name, options] of configs) {
    const compilerOptions: ts.CompilerOptions = { ...options, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: [] };
    const host = ts.createCompilerHost(compilerOptions);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (file, lang, onError) => {
      const key = `${file}|${typeof lang === "object" ? lang.impliedNodeFormat : ""}`;
      if (!file.startsWith(project) && cache.has(key)) return cache.get(key);
      const sf = getSourceFile(file, lang, onError);
      if (!file.startsWith(project)) cache.set(key, sf);
      return sf;
    };
    const program = ts.createProgram({ rootNames: files, options: compilerOptions, host });
    for (const f of files) {
      const sf = program.getSourceFile(f)!;
      if (name !== "commonjs") assert.equal(sf.impliedNodeFormat, ts.ModuleKind.CommonJS, `${f} is CommonJS under ${name}`);
      const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
      const text = diagnostics.map((d) => `${name}: ${f}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
      assert.deepEqual(text, [], text.join("\n"));
    }
    const resolved = program.getSourceFiles().map((s) => s.fileName).find((p) => p.endsWith("/dist/index.d.ts"));
    assert.ok(resolved && realpathSync(resolved) === join(root, "dist", "index.d.ts"), `${name}: "nabla" resolves to dist/index.d.ts`);
  }
});

test("the published package holds what a dependent project needs, and no build output", () => {
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", "--offline"], { cwd: root, encoding: "utf8", timeout: 60_000, shell: process.platform === "win32" });
  assert.equal(r.status, 0, r.stderr);
  const paths = new Set<string>(JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path));
  for (const p of ["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/cli/main.js", "bin/nabla.js", "binding.gyp", "scripts/build-native.mjs", "scripts/build-cuda.mjs", "scripts/build-gloo.mjs", "native/src/addon.cc", "native/gloo/addon.cc"]) {
    assert.ok(paths.has(p), `the package lacks ${p}`);
  }
  const stray = [...paths].filter((p) => p.startsWith("build/") || p.startsWith("node_modules/") || p.startsWith("test/"));
  assert.deepEqual(stray, [], "build output, node_modules or tests in the package");
});
