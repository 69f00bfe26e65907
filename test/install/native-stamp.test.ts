// "Build once": scripts/build-native.mjs compiles the addon only when no addon matches the sources
// and the machine. The stamp's parts are checked as pure functions; the script itself runs on a copy
// of the build inputs with a copy of the already-built addon (never a real compile: that takes a
// minute), and must skip, report with --check what would make it compile, and restore an addon
// from the per-user cache.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import {
  ADDON_FILE, STAMP_FILE, fileDigest, makeStamp, nativeCacheDir, readStamp, sourceDigest, stampInputs, stampKey, staleReason,
  type StampInputs,
} from "../../scripts/build-native.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const builtAddon = join(root, ADDON_FILE);

/** A package root holding only what the build reads: native/src, binding.gyp, the script. */
function fakeRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), "nabla-stamp-"));
  mkdirSync(join(dir, "native", "src"), { recursive: true });
  mkdirSync(join(dir, "scripts"));
  writeFileSync(join(dir, "native", "src", "a.cc"), "int a() { return 1; }\n");
  writeFileSync(join(dir, "native", "src", "a.h"), "int a();\n");
  writeFileSync(join(dir, "binding.gyp"), "{}\n");
  copyFileSync(join(root, "scripts", "build-native.mjs"), join(dir, "scripts", "build-native.mjs"));
  return dir;
}

const inputsOf = (dir: string, over: Partial<StampInputs> = {}): StampInputs => ({ ...stampInputs(dir, { compiler: "g++ 12.2.0", env: {} }), ...over });

test("the source digest follows native/src, binding.gyp and the build script, not timestamps", () => {
  const dir = fakeRoot();
  try {
    const first = sourceDigest(dir);
    assert.equal(first.files, 4);
    assert.match(first.sources, /^[0-9a-f]{64}$/);
    utimesSync(join(dir, "native", "src", "a.cc"), new Date(2001, 1, 1), new Date(2001, 1, 1));
    assert.deepEqual(sourceDigest(dir), first, "touching a file changes nothing");
    const edits: [string, () => void][] = [
      ["a source edited", () => writeFileSync(join(dir, "native", "src", "a.cc"), "int a() { return 2; }\n")],
      ["a header added in a subfolder", () => { mkdirSync(join(dir, "native", "src", "sub")); writeFileSync(join(dir, "native", "src", "sub", "b.h"), "\n"); }],
      ["binding.gyp edited", () => writeFileSync(join(dir, "binding.gyp"), "{ 'targets': [] }\n")],
      ["the build script edited", () => writeFileSync(join(dir, "scripts", "build-native.mjs"), "// changed\n")],
    ];
    const seen = new Set([first.sources]);
    for (const [what, edit] of edits) {
      edit();
      const now = sourceDigest(dir).sources;
      assert.ok(!seen.has(now), `${what} must change the digest`);
      seen.add(now);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the stamp records the machine: Node ABI, platform, arch, compiler, sanitizer and flags", () => {
  const dir = fakeRoot();
  try {
    const inputs = stampInputs(dir, { env: { NABLA_NATIVE_SANITIZE: "address", CXXFLAGS: "-O1" }, compiler: "clang 17" });
    assert.equal(inputs.nodeAbi, process.versions.modules);
    assert.equal(inputs.platform, process.platform);
    assert.equal(inputs.arch, process.arch);
    assert.equal(inputs.compiler, "clang 17");
    assert.equal(inputs.sanitize, "address");
    assert.equal(inputs.flags, "CXXFLAGS=-O1");
    // Without a given version the compiler is asked ($CXX --version); one that cannot run still gives a value.
    assert.match(stampInputs(dir, { env: { CXX: "no-such-compiler-xyz" } }).compiler, /no-such-compiler-xyz \(version unknown\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("staleReason: build when anything the addon depends on differs, skip when all match", () => {
  const dir = fakeRoot();
  try {
    const inputs = inputsOf(dir);
    const addon = "ab".repeat(32);
    const stamp = makeStamp(inputs, addon);
    assert.equal(stamp.key, stampKey(inputs));
    assert.equal(staleReason(inputs, stamp, addon), null);
    assert.equal(staleReason(inputs, stamp, null), "no compiled addon");
    assert.equal(staleReason(inputs, null, addon), "no build stamp next to the addon");
    assert.match(String(staleReason(inputs, stamp, "cd".repeat(32))), /addon changed/);
    assert.match(String(staleReason(inputs, { ...stamp, format: 0 }, addon)), /another version/);
    const cases: [Partial<StampInputs>, RegExp][] = [
      [{ sources: "0".repeat(64) }, /native sources .* changed/],
      [{ nodeAbi: "127" }, /Node's ABI version changed \("\d+" → "127"\)/],
      [{ platform: "darwin" }, /platform changed/],
      [{ arch: "arm64" }, /architecture changed/],
      [{ compiler: "g++ 14.1.0" }, /compiler changed \("g\+\+ 12\.2\.0" → "g\+\+ 14\.1\.0"\)/],
      [{ sanitize: "address" }, /NABLA_NATIVE_SANITIZE changed \("" → "address"\)/],
      [{ flags: "CXXFLAGS=-g" }, /compiler flags/],
    ];
    for (const [change, why] of cases) {
      const now = { ...inputs, ...change };
      assert.notEqual(stampKey(now), stamp.key);
      assert.match(String(staleReason(now, stamp, addon)), why);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the per-user cache folder: platform defaults, NABLA_NATIVE_CACHE_DIR, NABLA_NATIVE_CACHE=0", () => {
  assert.equal(nativeCacheDir({}, "linux", "/home/u"), join("/home/u", ".cache", "nabla", "native"));
  assert.equal(nativeCacheDir({ XDG_CACHE_HOME: "/xdg" }, "linux", "/home/u"), join("/xdg", "nabla", "native"));
  assert.equal(nativeCacheDir({}, "darwin", "/Users/u"), join("/Users/u", "Library", "Caches", "nabla", "native"));
  assert.equal(nativeCacheDir({ NABLA_NATIVE_CACHE_DIR: "/c" }, "linux", "/home/u"), "/c");
  assert.equal(nativeCacheDir({ NABLA_NATIVE_CACHE: "0", NABLA_NATIVE_CACHE_DIR: "/c" }, "linux", "/home/u"), null);
});

test("npm's hooks: install builds only when needed, `npm run build:native` forces, nothing targets the build machine's CPU", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  assert.match(pkg.scripts.install, /node scripts\/build-native\.mjs(?! --force)/);
  assert.match(pkg.scripts["build:native"], /node scripts\/build-native\.mjs --force/);
  assert.doesNotMatch(readFileSync(join(root, "binding.gyp"), "utf8"), /-m(arch|tune|cpu)=native/);
});

// ---- the script itself, on a copy --------------------------------------------------------------

const noAddon = existsSync(builtAddon) ? false : `${builtAddon} is not built here (npm ci builds it)`;

/** A copy of the real build inputs with a copy of the built addon, and an empty cache folder. */
function copiedPackage(): { dir: string; cache: string } {
  const dir = mkdtempSync(join(tmpdir(), "nabla-stamp-pkg-"));
  for (const p of ["binding.gyp", "native", "package.json", join("scripts", "build-native.mjs")]) cpSync(join(root, p), join(dir, p), { recursive: true });
  mkdirSync(join(dir, "build", "Release"), { recursive: true });
  copyFileSync(builtAddon, join(dir, ADDON_FILE));
  return { dir, cache: join(dir, "cache") };
}

function runScript(dir: string, cache: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const started = Date.now();
  // node-gyp is a stand-in that fails at once: a test that wrongly compiles fails in a second
  // (and says so) instead of spending a minute.
  const fakeGyp = join(dir, "fake-node-gyp.js");
  writeFileSync(fakeGyp, 'console.error("fake node-gyp: a compile was attempted"); process.exit(3);\n');
  const r = spawnSync(process.execPath, [join(dir, "scripts", "build-native.mjs"), ...args], {
    cwd: dir, encoding: "utf8", timeout: 60_000,
    env: { ...process.env, NABLA_NATIVE_CACHE_DIR: cache, NABLA_NATIVE_SANITIZE: "", NODE_OPTIONS: "", npm_config_node_gyp: fakeGyp, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

test("the install hook skips the compile when the stamp matches and the addon loads, in one line", { skip: noAddon }, () => {
  const { dir, cache } = copiedPackage();
  try {
    // No stamp yet (an addon built by an older script): --check says a compile is due, and why.
    let r = runScript(dir, cache, ["--check"]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout.trim(), "nabla: native backend would be compiled: no build stamp next to the addon");

    // Stamp it as a build would, then run the hook as npm does.
    const stamp = makeStamp(stampInputs(dir), fileDigest(join(dir, ADDON_FILE)));
    writeFileSync(join(dir, STAMP_FILE), JSON.stringify(stamp));
    const before = statSync(join(dir, ADDON_FILE)).mtimeMs;
    r = runScript(dir, cache);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1, r.stdout);
    assert.match(lines[0], /^nabla: native backend already compiled for these sources and this machine \(.+ GEMM, \d+ threads\); not rebuilt\. `npm run build:native` forces a rebuild\.$/);
    assert.doesNotMatch(r.stderr, /compiling/);
    assert.equal(statSync(join(dir, ADDON_FILE)).mtimeMs, before, "the addon was left alone");
    assert.ok(!existsSync(join(dir, "build", "nabla-native-build.log")), "node-gyp did not run");
    assert.ok(r.ms < 15_000, `the skip took ${r.ms} ms`);

    // Each input of the stamp, changed, makes a compile due (--check builds nothing).
    assert.match(runScript(dir, cache, ["--check"], { NABLA_NATIVE_SANITIZE: "address" }).stdout, /would be compiled: NABLA_NATIVE_SANITIZE changed/);
    assert.match(runScript(dir, cache, ["--check"], { CXX: "no-such-compiler-xyz" }).stdout, /would be compiled: the C\+\+ compiler changed/);
    writeFileSync(join(dir, "native", "src", "checks.h"), `${readFileSync(join(dir, "native", "src", "checks.h"), "utf8")}\n// edited\n`);
    r = runScript(dir, cache, ["--check"]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /would be compiled: the native sources \(native\/src, binding\.gyp or the build script\) changed/);

    // An addon that no longer loads is rebuilt even with a matching stamp.
    writeFileSync(join(dir, ADDON_FILE), "not a shared object");
    writeFileSync(join(dir, STAMP_FILE), JSON.stringify(makeStamp(stampInputs(dir), fileDigest(join(dir, ADDON_FILE)))));
    r = runScript(dir, cache, ["--check"]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /would be compiled: the addon does not load: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a fresh install (no build/) takes the addon from the per-user cache instead of compiling", { skip: noAddon }, () => {
  const { dir, cache } = copiedPackage();
  try {
    const inputs = stampInputs(dir);
    const entry = join(cache, stampKey(inputs));
    mkdirSync(entry, { recursive: true });
    copyFileSync(join(dir, ADDON_FILE), join(entry, "nabla_native.node"));
    rmSync(join(dir, "build"), { recursive: true });

    const r = runScript(dir, cache);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.trim(), /^nabla: native backend taken from the build cache, not recompiled \(.+ GEMM, \d+ threads\): /);
    assert.doesNotMatch(r.stderr, /compiling/);
    const stamp = readStamp(join(dir, STAMP_FILE));
    assert.equal(stamp?.key, stampKey(inputs));
    assert.equal(stamp?.addon, fileDigest(join(dir, ADDON_FILE)));
    // …and the next install finds it current.
    assert.match(runScript(dir, cache).stdout, /already compiled for these sources and this machine/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("NABLA_SKIP_NATIVE=1 still skips everything", () => {
  const dir = fakeRoot();
  try {
    const r = runScript(dir, join(dir, "cache"), [], { NABLA_SKIP_NATIVE: "1" });
    assert.equal(r.status, 0);
    assert.equal(r.stdout.trim(), "nabla: native backend build skipped (NABLA_SKIP_NATIVE=1); nabla will run on the cpu backend.");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
