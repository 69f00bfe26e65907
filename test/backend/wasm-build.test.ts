// The committed wasm module is the build of the committed sources: src/backend/wasm/module-bytes.ts
// records the hash of wasm/src and the flags (checked everywhere, no compiler needed) and carries
// the same bytes as wasm/nabla.wasm; where clang-14 and wasm-ld-14 are installed, a rebuild gives
// exactly those bytes (skipped elsewhere, saying why).

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { buildModule, moduleSource, sourceHash, MODULE_FILE, WASM_FILE } from "../../scripts/build-wasm.mjs";
import { WASM_MODULE_BASE64, WASM_SOURCE_HASH } from "../../src/backend/wasm/module-bytes.js";

const tools = ["clang-14", "wasm-ld-14"].filter((t) => spawnSync(t, ["--version"]).status !== 0);
const skipBuild = tools.length ? `${tools.join(" and ")} not installed (apt-get install clang-14 lld-14)` : false;

test("the committed module was built from the committed sources (hash of wasm/src and the flags)", () => {
  assert.equal(WASM_SOURCE_HASH, sourceHash(), "wasm/src changed since the module was built: run npm run build:wasm");
});

test("src/backend/wasm/module-bytes.ts carries wasm/nabla.wasm byte for byte", () => {
  const bytes = readFileSync(WASM_FILE);
  assert.ok(Buffer.from(WASM_MODULE_BASE64, "base64").equals(bytes));
  assert.equal(readFileSync(MODULE_FILE, "utf8"), moduleSource(bytes, WASM_SOURCE_HASH));
});

test("rebuilding with clang-14 gives the committed bytes", { skip: skipBuild }, () => {
  assert.ok(buildModule().equals(readFileSync(WASM_FILE)), "the committed wasm/nabla.wasm is stale: run npm run build:wasm");
});
