#!/usr/bin/env node
// Builds the native backend (binding.gyp → build/Release/nabla_native.node) with node-gyp. It is
// npm's `install` hook and `npm run build:native`. It never fails the install: when there is no
// compiler, no node-gyp or no Node headers, it records why in build/nabla-native-failed.txt (the
// loader reports it through nb.backendUnavailableReason("native")) and nabla runs on cpu.
// Prints one line saying what happened; the full compiler output goes to build/nabla-native-build.log.
//
// Environment: NABLA_SKIP_NATIVE=1 skips the build; NABLA_NATIVE_SANITIZE=address builds with
// AddressSanitizer (scripts/asan-native.sh); NABLA_NATIVE_BUILD_TIMEOUT (seconds, default 600).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const buildDir = join(root, "build");
const addonPath = join(buildDir, "Release", "nabla_native.node");
const failurePath = join(buildDir, "nabla-native-failed.txt");
const logPath = join(buildDir, "nabla-native-build.log");
const started = Date.now();

function say(line) {
  console.log(`nabla: ${line}`);
}

function giveUp(reason, log = "") {
  rmSync(addonPath, { force: true });
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

/** node-gyp: the one npm runs scripts with, a local install, or the one bundled with npm. */
function findNodeGyp() {
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

const gyp = findNodeGyp();
if (!gyp) giveUp("node-gyp was not found (it ships with npm)");

rmSync(failurePath, { force: true });
const jobs = Math.max(1, Math.min(cpus().length, 8));
const timeout = Number(process.env.NABLA_NATIVE_BUILD_TIMEOUT ?? 600) * 1000;
const r = spawnSync(process.execPath, [gyp, "rebuild", `--jobs=${jobs}`, ...nodedirArgs()], {
  cwd: root,
  encoding: "utf8",
  timeout,
  env: { ...process.env, npm_config_loglevel: process.env.npm_config_loglevel ?? "warn" },
});
const log = `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
if (r.error || r.status !== 0) {
  const firstError = log.split("\n").find((l) => /error|not found|No such file|cannot/i.test(l))?.trim();
  const why = r.error ? (r.error.code === "ETIMEDOUT" ? `compilation took over ${timeout / 1000} s` : r.error.message) : firstError || `node-gyp exited with status ${r.status}`;
  giveUp(why.slice(0, 300), log);
}
mkdirSync(buildDir, { recursive: true });
writeFileSync(logPath, log);

// Load it once in a child process: a module that builds but does not load is a failed build. An
// AddressSanitizer build only loads with the sanitizer's runtime preloaded.
const sanitized = process.env.NABLA_NATIVE_SANITIZE === "address";
const checkEnv = { ...process.env };
if (sanitized) {
  const lib = spawnSync(process.env.CXX || "g++", ["-print-file-name=libasan.so"], { encoding: "utf8" }).stdout?.trim();
  checkEnv.LD_PRELOAD = lib;
  checkEnv.ASAN_OPTIONS = "detect_leaks=0";
}
const check = spawnSync(process.execPath, ["-e", `const a = require(${JSON.stringify(addonPath)}); console.log(JSON.stringify(a.info()))`], { encoding: "utf8", env: checkEnv });
if (check.status !== 0) giveUp(`the built addon does not load: ${(check.stderr || "").trim().split("\n").slice(-1)[0]}`, `${log}\n${check.stderr}`);
const info = JSON.parse(check.stdout.trim());
const seconds = ((Date.now() - started) / 1000).toFixed(0);
say(`native backend built in ${seconds} s (${info.gemmKernel} GEMM, ${info.threads} threads${info.asan ? ", AddressSanitizer" : ""}): ${addonPath}`);
