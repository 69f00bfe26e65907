// The optional Gloo addon's build (scripts/build-gloo.mjs, part of npm's install hook) never fails
// the install, skips the compile when its stamp matches, and a missing addon gives an error naming
// the package to install.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const script = fileURLToPath(new URL("../../scripts/build-gloo.mjs", import.meta.url));
const built = existsSync(fileURLToPath(new URL("../../build/gloo/nabla_gloo.node", import.meta.url)));

test("NABLA_SKIP_GLOO=1 skips in one line with status 0", () => {
  const r = spawnSync(process.execPath, [script], { cwd: root, encoding: "utf8", env: { ...process.env, NABLA_SKIP_GLOO: "1" } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "nabla: gloo: skipped (NABLA_SKIP_GLOO=1)");
});

test("the install hook runs the Gloo build after the native one, and skips the compile when the stamp matches", { skip: built ? false : "the Gloo addon is not built here (no libgloo-dev)" }, async () => {
  const pkg = (await import("../../package.json", { with: { type: "json" } })).default as { scripts: Record<string, string>; files: string[] };
  assert.match(pkg.scripts.install, /^node scripts\/build-native\.mjs && .*node scripts\/build-gloo\.mjs$/);
  assert.ok(pkg.files.includes("scripts/build-gloo.mjs") && pkg.files.includes("native"));
  // The first run compiles if native/gloo or the script changed since the last build; the second must not.
  assert.equal(spawnSync(process.execPath, [script], { cwd: root, encoding: "utf8" }).status, 0);
  const r = spawnSync(process.execPath, [script], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "nabla: gloo: up to date (build/gloo/nabla_gloo.node)");
});

test("without the addon, initProcessGroup's error names libgloo-dev and npm run build:gloo", () => {
  const code = `import * as nb from "./src/index.ts";
    console.log(nb.distributed.glooUnavailableReason());
    await nb.distributed.initProcessGroup({ rank: 0, worldSize: 1 }).catch((e) => console.log(e.message));`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: root, encoding: "utf8", env: { ...process.env, NABLA_GLOO_ADDON: "/nonexistent/nabla_gloo.node" } });
  assert.equal(r.status, 0, r.stderr);
  const [reason, error] = r.stdout.trim().split("\n");
  assert.match(reason, /the Gloo addon \/nonexistent\/nabla_gloo\.node is missing .*apt-get install libgloo-dev.*npm run build:gloo/);
  assert.match(error, /^distributed\.initProcessGroup: the gloo backend is unavailable: the Gloo addon/);
});
