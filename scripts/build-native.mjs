#!/usr/bin/env node
// Builds the native backend (binding.gyp → build/Release/nabla_native.node) with node-gyp. It is
// npm's `install` hook and `npm run build:native` (which passes --force). It never fails the
// install: when there is no compiler, no node-gyp or no Node headers, it records why in
// build/nabla-native-failed.txt (the loader reports it through nb.backendUnavailableReason("native"))
// and nabla runs on cpu. The full compiler output goes to build/nabla-native-build.log.
//
// Build once: after a build that loads, it writes build/Release/nabla_native.stamp.json — a hash of
// what the addon was built from (native/src/**, binding.gyp, this script) and for (Node's ABI
// version, platform/arch, the C++ compiler's version, NABLA_NATIVE_SANITIZE, CXXFLAGS & co.) plus
// the addon's own hash. The next run compares and, when everything matches and the addon still
// loads, skips the compile (one line). A build also leaves a copy in a per-user cache
// (~/.cache/nabla/native/<key>/, see nativeCacheDir), so a fresh install of the same nabla on the
// same machine (npm ci wipes node_modules) copies it back instead of compiling again.
// Prints one line when it starts compiling (stderr) and one saying what happened (stdout). The addon
// is never compiled for the build machine's CPU (no -march=native, see binding.gyp): the AVX2
// kernels are picked at run time.
//
// Options: --force compiles even when the stamp matches (and ignores the cache); --check says
// whether a compile is needed and why, exit status 0 (up to date) or 1 (would compile), builds
// nothing.
// Environment: NABLA_SKIP_NATIVE=1 skips the build; NABLA_NATIVE_SANITIZE=address builds with
// AddressSanitizer (scripts/asan-native.sh); NABLA_NATIVE_BUILD_TIMEOUT (seconds, default 600);
// NABLA_NATIVE_CACHE=0 turns the per-user cache off, NABLA_NATIVE_CACHE_DIR moves it.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { cpus, homedir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

export const STAMP_FORMAT = 1;
/** The addon and its stamp, relative to the package root. */
export const ADDON_FILE = join("build", "Release", "nabla_native.node");
export const STAMP_FILE = join("build", "Release", "nabla_native.stamp.json");
/** Environment variables that change what node-gyp compiles. */
const FLAG_VARS = ["CXXFLAGS", "CPPFLAGS", "CFLAGS", "LDFLAGS"];

// ---- the stamp: what an addon was built from and for -----------------------------------------

/** Every file under dir, as paths relative to base with "/" separators, sorted. */
function listFiles(dir, base) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return listFiles(p, base);
    return e.isFile() ? [relative(base, p).split(sep).join("/")] : [];
  }).sort();
}

/** sha256 over the build's inputs in root: native/src/**, binding.gyp and scripts/build-native.mjs (names and contents). */
export function sourceDigest(root) {
  const files = [...listFiles(join(root, "native", "src"), root), "binding.gyp", "scripts/build-native.mjs"];
  const h = createHash("sha256");
  for (const f of files) {
    let content;
    try {
      content = readFileSync(join(root, f));
    } catch {
      content = Buffer.from("<missing>");
    }
    h.update(`${f}\0${content.length}\0`).update(content);
  }
  return { sources: h.digest("hex"), files: files.length };
}

/** The C++ compiler node-gyp's make will run: $CXX, else the platform's default. */
export function compilerCommand(env = process.env, platform = process.platform) {
  if (env.CXX) return env.CXX;
  return platform === "darwin" ? "c++" : platform === "win32" ? null : "g++";
}

/** First line of `<compiler> --version`, or a placeholder when it cannot run. */
export function compilerVersion(env = process.env, platform = process.platform) {
  const cmd = compilerCommand(env, platform);
  if (!cmd) return `msvc ${env.npm_config_msvs_version ?? ""}`.trim();
  const [exe, ...pre] = cmd.trim().split(/\s+/);
  const r = spawnSync(exe, [...pre, "--version"], { encoding: "utf8", timeout: 20_000 });
  const first = (r.stdout ?? "").split("\n").find((l) => l.trim());
  return r.status === 0 && first ? first.trim() : `${cmd} (version unknown)`;
}

/**
 * What an addon built now in root would be built from and for. `compiler` (the version line) may be
 * given, otherwise the compiler is asked.
 */
export function stampInputs(root, { env = process.env, platform = process.platform, arch = process.arch, modules = process.versions.modules, compiler } = {}) {
  const { sources, files } = sourceDigest(root);
  const flags = FLAG_VARS.filter((v) => env[v]).map((v) => `${v}=${env[v]}`).join(" ");
  return {
    sources,
    files,
    nodeAbi: String(modules),
    platform,
    arch,
    compiler: compiler ?? compilerVersion(env, platform),
    sanitize: env.NABLA_NATIVE_SANITIZE ?? "",
    flags,
  };
}

/** A short key naming the inputs (the cache folder's name). */
export function stampKey(inputs) {
  const canonical = JSON.stringify(Object.keys(inputs).sort().map((k) => [k, inputs[k]]));
  return createHash("sha256").update(`${STAMP_FORMAT}\0${canonical}`).digest("hex").slice(0, 32);
}

export function fileDigest(path) {
  try {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
  } catch {
    return null;
  }
}

export function makeStamp(inputs, addonDigest) {
  return { format: STAMP_FORMAT, key: stampKey(inputs), inputs, addon: addonDigest, builtAt: new Date().toISOString() };
}

export function readStamp(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
}

const FIELD_NAMES = {
  sources: "the native sources (native/src, binding.gyp or the build script) changed",
  nodeAbi: "Node's ABI version",
  platform: "the platform",
  arch: "the CPU architecture",
  compiler: "the C++ compiler",
  sanitize: "NABLA_NATIVE_SANITIZE",
  flags: "the compiler flags (CXXFLAGS, LDFLAGS, …)",
};

/**
 * Why the addon must be compiled, or null when the stamp says it is current (pure: the caller still
 * checks that it loads). `addonDigest` is the sha256 of the addon on disk, null when there is none.
 */
export function staleReason(inputs, stamp, addonDigest) {
  if (!addonDigest) return "no compiled addon";
  if (!stamp || typeof stamp !== "object") return "no build stamp next to the addon";
  if (stamp.format !== STAMP_FORMAT || !stamp.inputs) return "the build stamp is from another version of this script";
  if (stamp.addon !== addonDigest) return "the addon changed since it was stamped";
  if (stamp.key === stampKey(inputs)) return null;
  const changed = Object.keys(FIELD_NAMES).filter((k) => JSON.stringify(stamp.inputs[k]) !== JSON.stringify(inputs[k]));
  const describe = (k) => (k === "sources" ? FIELD_NAMES[k] : `${FIELD_NAMES[k]} changed (${JSON.stringify(stamp.inputs[k])} → ${JSON.stringify(inputs[k])})`);
  return changed.length ? changed.map(describe).join("; ") : "the build stamp does not match";
}

/** The per-user cache of built addons: $NABLA_NATIVE_CACHE_DIR, else the platform's cache folder; null when turned off. */
export function nativeCacheDir(env = process.env, platform = process.platform, home = homedir()) {
  if (env.NABLA_NATIVE_CACHE === "0") return null;
  if (env.NABLA_NATIVE_CACHE_DIR) return env.NABLA_NATIVE_CACHE_DIR;
  if (!home) return null;
  const base = platform === "win32" ? env.LOCALAPPDATA || join(home, "AppData", "Local")
    : platform === "darwin" ? join(home, "Library", "Caches")
    : env.XDG_CACHE_HOME || join(home, ".cache");
  return join(base, "nabla", "native");
}

/**
 * Load the addon in a child process (a module that builds but does not load is no build) and return
 * its info(), or { error }. An AddressSanitizer build only loads with the sanitizer's runtime preloaded.
 */
export function loadCheck(addonPath, env = process.env) {
  const checkEnv = { ...env };
  if (env.NABLA_NATIVE_SANITIZE === "address") {
    const [exe, ...pre] = (env.CXX || "g++").trim().split(/\s+/);
    checkEnv.LD_PRELOAD = spawnSync(exe, [...pre, "-print-file-name=libasan.so"], { encoding: "utf8" }).stdout?.trim();
    checkEnv.ASAN_OPTIONS = "detect_leaks=0";
  }
  const check = spawnSync(process.execPath, ["-e", `const a = require(${JSON.stringify(addonPath)}); console.log(JSON.stringify(a.info()))`], { encoding: "utf8", env: checkEnv, timeout: 60_000 });
  if (check.status !== 0) return { error: (check.stderr || "").trim().split("\n").filter(Boolean).pop() ?? `exit status ${check.status}`, stderr: check.stderr ?? "" };
  try {
    return { info: JSON.parse(check.stdout.trim().split("\n").pop()) };
  } catch {
    return { error: `info() printed ${JSON.stringify(check.stdout.trim().slice(0, 200))}`, stderr: check.stderr ?? "" };
  }
}

const describeInfo = (info) => `${info.gemmKernel} GEMM, ${info.threads} threads${info.asan ? ", AddressSanitizer" : ""}`;

// ---- the build -----------------------------------------------------------------------------------

function say(line) {
  console.log(`nabla: ${line}`);
}

/**
 * The line before a long compile. npm hides the output of a dependency's install script, so when it
 * runs us that way (output piped) the line also goes to the terminal, if there is one.
 */
function announce(line) {
  process.stderr.write(`${line}\n`);
  if (process.env.npm_lifecycle_event === "install" && !process.stderr.isTTY) {
    try {
      const fd = openSync("/dev/tty", "w");
      writeSync(fd, `${line}\n`);
      closeSync(fd);
    } catch {
      // no terminal (CI, Windows): stderr only
    }
  }
}

/** node-gyp: the one npm runs scripts with, a local install, or the one bundled with npm. */
function findNodeGyp(root) {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(createRequire(join(root, "package.json")).resolve("node-gyp/bin/node-gyp.js"));
  } catch {
    // not installed locally
  }
  const prefix = dirname(dirname(process.execPath));
  candidates.push(join(prefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  candidates.push(join(prefix, "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  return candidates.find((p) => p && existsSync(p)) ?? null;
}

/** Node's own headers next to the running node (so no download is needed), unless npm set a nodedir. */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [`--nodedir=${process.env.npm_config_nodedir}`];
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, "include", "node", "node_api.h"))) return [`--nodedir=${prefix}`];
  return [];
}

/** Copy a file by writing a temporary name and renaming it (a reader never sees half a file). */
function copyAtomically(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  const tmp = `${to}.${process.pid}.tmp`;
  copyFileSync(from, tmp);
  renameSync(tmp, to);
}

function main(argv) {
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const buildDir = join(root, "build");
  const addonPath = join(root, ADDON_FILE);
  const stampPath = join(root, STAMP_FILE);
  const failurePath = join(buildDir, "nabla-native-failed.txt");
  const logPath = join(buildDir, "nabla-native-build.log");
  const force = argv.includes("--force");
  const checkOnly = argv.includes("--check");
  const started = Date.now();

  function giveUp(reason, log = "") {
    rmSync(addonPath, { force: true });
    rmSync(stampPath, { force: true });
    mkdirSync(buildDir, { recursive: true });
    writeFileSync(failurePath, `${reason}\n`);
    if (log) writeFileSync(logPath, log);
    say(`native backend not built (${reason}); nabla will run on the cpu backend.${log ? ` Log: ${logPath}` : ""}`);
    process.exit(0);
  }

  if (process.env.NABLA_SKIP_NATIVE === "1") {
    say("native backend build skipped (NABLA_SKIP_NATIVE=1); nabla will run on the cpu backend.");
    process.exit(0);
  }

  // Is the addon on disk the one these sources, this Node and this compiler would produce?
  const inputs = stampInputs(root);
  const key = stampKey(inputs);
  let reason = force ? "forced (--force)" : staleReason(inputs, readStamp(stampPath), fileDigest(addonPath));
  if (!reason) {
    const loaded = loadCheck(addonPath);
    if (loaded.info) {
      if (checkOnly) say(`native backend is up to date (${describeInfo(loaded.info)}): ${addonPath}`);
      else say(`native backend already compiled for these sources and this machine (${describeInfo(loaded.info)}); not rebuilt. \`npm run build:native\` forces a rebuild.`);
      process.exit(0);
    }
    reason = `the addon does not load: ${loaded.error}`;
  }

  // A copy built earlier on this machine from the same inputs (another install of the same version).
  const cacheRoot = inputs.sanitize ? null : nativeCacheDir();
  const cached = cacheRoot && join(cacheRoot, key);
  if (!force && cached && existsSync(join(cached, "nabla_native.node"))) {
    if (checkOnly) {
      say(`native backend would be copied from the cache (${cached}): ${reason}`);
      process.exit(1);
    }
    try {
      copyAtomically(join(cached, "nabla_native.node"), addonPath);
      const loaded = loadCheck(addonPath);
      if (loaded.info) {
        writeFileSync(stampPath, `${JSON.stringify({ ...makeStamp(inputs, fileDigest(addonPath)), fromCache: cached }, null, 2)}\n`);
        rmSync(failurePath, { force: true });
        say(`native backend taken from the build cache, not recompiled (${describeInfo(loaded.info)}): ${addonPath}`);
        process.exit(0);
      }
      rmSync(cached, { recursive: true, force: true });
    } catch {
      // an unreadable cache: compile
    }
  }

  if (checkOnly) {
    say(`native backend would be compiled: ${reason}`);
    process.exit(1);
  }

  const gyp = findNodeGyp(root);
  if (!gyp) giveUp("node-gyp was not found (it ships with npm)");

  announce("nabla: compiling the native backend (once, about a minute)…");
  rmSync(failurePath, { force: true });
  const jobs = Math.max(1, Math.min(cpus().length, 8));
  const timeout = Number(process.env.NABLA_NATIVE_BUILD_TIMEOUT ?? 600) * 1000;
  const r = spawnSync(process.execPath, [gyp, "rebuild", `--jobs=${jobs}`, ...nodedirArgs()], {
    cwd: root,
    encoding: "utf8",
    timeout,
    env: { ...process.env, npm_config_loglevel: process.env.npm_config_loglevel ?? "warn" },
  });
  const output = `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
  const log = `compiled because: ${reason}\n${output}`;
  if (r.error || r.status !== 0) {
    const firstError = output.split("\n").find((l) => /error|not found|No such file|cannot/i.test(l))?.trim();
    const why = r.error ? (r.error.code === "ETIMEDOUT" ? `compilation took over ${timeout / 1000} s` : r.error.message) : firstError || `node-gyp exited with status ${r.status}`;
    giveUp(why.slice(0, 300), log);
  }
  mkdirSync(buildDir, { recursive: true });
  writeFileSync(logPath, log);

  const loaded = loadCheck(addonPath);
  if (!loaded.info) giveUp(`the built addon does not load: ${loaded.error}`, `${log}\n${loaded.stderr}`);
  writeFileSync(stampPath, `${JSON.stringify(makeStamp(inputs, fileDigest(addonPath)), null, 2)}\n`);
  if (cached) {
    try {
      copyAtomically(addonPath, join(cached, "nabla_native.node"));
      writeFileSync(join(cached, "stamp.json"), `${JSON.stringify({ key, inputs, from: root }, null, 2)}\n`);
    } catch {
      // a read-only home folder: no cache, nothing else changes
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  say(`native backend built in ${seconds} s (${describeInfo(loaded.info)}): ${addonPath}`);
}

/** True when this file is the program node runs (not imported, as the tests do). */
function isMain() {
  try {
    return Boolean(process.argv[1]) && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) main(process.argv.slice(2));
