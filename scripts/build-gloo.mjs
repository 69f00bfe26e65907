#!/usr/bin/env node
// Builds the optional Gloo addon (native/gloo → build/gloo/nabla_gloo.node) with the C++ compiler
// directly, for nb.distributed. It runs after build-native in npm's install hook and as
// `npm run build:gloo` (--force). It never fails the install: without Gloo's headers (Debian:
// `apt-get install libgloo-dev`) it prints one line and stops; when the compile or the load check
// fails it records why in build/gloo/nabla-gloo-failed.txt (src/distributed reports it) and the
// compiler output in build/gloo/nabla-gloo-build.log.
//
// Build once: a stamp (build/gloo/nabla_gloo.stamp.json) hashes what the addon was built from
// (native/gloo/**, this script) and for (Node's ABI, the compiler, where Gloo was found); when it
// matches and the addon loads, the compile is skipped.
//
// Environment: NABLA_SKIP_GLOO=1 skips; GLOO_INCLUDE / GLOO_LIB name Gloo's include folder (the one
// holding gloo/) and library folder; NODE_API_INCLUDE the folder of node_api.h; CXX the compiler.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const srcDir = join(root, "native", "gloo");
const outDir = join(root, "build", "gloo");
const addonPath = join(outDir, "nabla_gloo.node");
const stampPath = join(outDir, "nabla_gloo.stamp.json");
const failurePath = join(outDir, "nabla-gloo-failed.txt");
const logPath = join(outDir, "nabla-gloo-build.log");
const force = process.argv.includes("--force");

const say = (line) => console.log(`nabla: gloo: ${line}`);
// Whatever goes wrong here, the install goes on: Gloo is optional.
process.on("uncaughtException", (e) => {
  say(`not built (${e instanceof Error ? e.message : String(e)})`);
  process.exit(0);
});
const isFile = (p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

function giveUp(reason, log = "") {
  mkdirSync(outDir, { recursive: true });
  rmSync(addonPath, { force: true });
  rmSync(stampPath, { force: true });
  writeFileSync(failurePath, `${reason}\n`);
  writeFileSync(logPath, log);
  say(`not built (${reason}); nb.distributed is unavailable. Log: ${logPath}`);
  process.exit(0);
}

if (process.env.NABLA_SKIP_GLOO === "1") {
  say("skipped (NABLA_SKIP_GLOO=1)");
  process.exit(0);
}

const includeDir = [process.env.GLOO_INCLUDE, "/usr/include", "/usr/local/include"].find((d) => d && isFile(join(d, "gloo", "transport", "tcp", "device.h")));
const libDir = [process.env.GLOO_LIB, "/usr/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/local/lib", "/usr/lib64"].find(
  (d) => d && (isFile(join(d, "libgloo.so")) || isFile(join(d, "libgloo.a"))),
);
if (!includeDir || !libDir) {
  // Not an error: Gloo is optional. Clear an old failure so the loader says "not built", not "failed".
  rmSync(failurePath, { force: true });
  say(`skipped (Gloo with its TCP transport not found${includeDir ? ": no libgloo.so" : ""}; install it with \`apt-get install libgloo-dev\`)`);
  process.exit(0);
}
const nodeInclude = [process.env.NODE_API_INCLUDE, join(dirname(dirname(process.execPath)), "include", "node"), "/usr/include/node", "/usr/local/include/node"].find(
  (d) => d && isFile(join(d, "node_api.h")),
);
if (!nodeInclude) giveUp("node_api.h not found (set NODE_API_INCLUDE)");

const cxx = process.env.CXX || "g++";
const sources = readdirSync(srcDir).filter((f) => f.endsWith(".cc")).sort();
const version = spawnSync(cxx, ["--version"], { encoding: "utf8" });
const compiler = (version.stdout ?? "").split("\n")[0] || `${cxx} (version unknown)`;

function digest() {
  const h = createHash("sha256");
  for (const f of [...readdirSync(srcDir).sort().map((f) => join(srcDir, f)), fileURLToPath(import.meta.url)]) {
    h.update(f.slice(root.length)).update("\0").update(readFileSync(f));
  }
  h.update(`\0${process.versions.modules}\0${process.platform}\0${process.arch}\0${compiler}\0${includeDir}\0${libDir}\0${process.env.CXXFLAGS ?? ""}`);
  return h.digest("hex");
}

function loads() {
  try {
    const addon = createRequire(import.meta.url)(addonPath);
    return typeof addon.allReduce === "function" ? null : "missing entry points";
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const key = digest();
if (!force && existsSync(addonPath)) {
  let stamp = null;
  try {
    stamp = JSON.parse(readFileSync(stampPath, "utf8"));
  } catch {}
  if (stamp?.key === key && loads() === null) {
    say(`up to date (${addonPath.slice(root.length + 1)})`);
    process.exit(0);
  }
}

mkdirSync(outDir, { recursive: true });
const argv = ["-shared", "-fPIC", "-std=c++17", "-O2", "-DNAPI_VERSION=8", `-I${nodeInclude}`, `-I${includeDir}`,
  ...sources.map((f) => join(srcDir, f)), `-L${libDir}`, "-lgloo", "-pthread", `-Wl,-rpath,${libDir}`, "-o", addonPath];
console.error(`nabla: gloo: compiling the Gloo addon (${sources.length} files)…`);
const r = spawnSync(cxx, argv, { encoding: "utf8", timeout: 600_000 });
const log = `${cxx} ${argv.join(" ")}\n${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? `\n${r.error.message}` : ""}`;
if (r.status !== 0) giveUp(`the compile failed (exit ${r.status ?? r.signal ?? r.error?.message}); see the log`, log);
const loadError = loads();
if (loadError) giveUp(`the built addon does not load: ${loadError}`, log);
writeFileSync(logPath, log);
rmSync(failurePath, { force: true });
writeFileSync(stampPath, JSON.stringify({ key, compiler, includeDir, libDir, builtAt: new Date().toISOString() }, null, 2));
say(`built ${addonPath.slice(root.length + 1)} (Gloo from ${includeDir}, ${libDir})`);
