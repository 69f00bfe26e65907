// Loading the optional Gloo addon (build/gloo/nabla_gloo.node, built by scripts/build-gloo.mjs when
// Debian's libgloo-dev is installed). Without it nb.distributed says what to install.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** Float32Array or Int32Array: what the collectives move. */
export type HostArray = Float32Array | Int32Array;

/** Op codes of the reductions: 0 sum, 1 max, 2 min, 3 mean (float32 only). */
export type OpCode = 0 | 1 | 2 | 3;

/**
 * The binding's entry points (native/gloo/addon.cc). Collectives run on one worker thread in the
 * order they are called, in place on the arrays; `blocking` false returns a promise, true returns
 * once done (throwing its error).
 */
export interface GlooAddon {
  init(rank: number, worldSize: number, store: "tcp" | "file", where: string, port: number, timeoutMs: number, hostname: string): Promise<void>;
  allReduce(data: HostArray, op: OpCode, blocking: boolean): Promise<void> | undefined;
  reduceScatter(input: HostArray, output: HostArray, recvCounts: Int32Array, op: OpCode, blocking: boolean): Promise<void> | undefined;
  broadcast(data: HostArray, root: number, blocking: boolean): Promise<void> | undefined;
  allGather(input: HostArray, output: HostArray, blocking: boolean): Promise<void> | undefined;
  barrier(blocking: boolean): Promise<void> | undefined;
  destroy(): Promise<void>;
  info(): { worldSize: number; glooVersion: number };
}

const ADDON_URL = new URL("../../build/gloo/nabla_gloo.node", import.meta.url);
const FAILURE_URL = new URL("../../build/gloo/nabla-gloo-failed.txt", import.meta.url);

let cached: { addon: GlooAddon | null; reason: string } | null = null;

function load(): { addon: GlooAddon | null; reason: string } {
  if (cached) return cached;
  const path = process.env.NABLA_GLOO_ADDON || fileURLToPath(ADDON_URL);
  if (!existsSync(path)) {
    const failure = existsSync(FAILURE_URL) ? readFileSync(FAILURE_URL, "utf8").trim() : "";
    const why = failure ? `its build failed: ${failure}` : "it was not built";
    cached = {
      addon: null,
      reason: `the Gloo addon ${path} is missing (${why}). Install Gloo (Debian/Ubuntu: \`apt-get install libgloo-dev\`) and run \`npm run build:gloo\``,
    };
    return cached;
  }
  try {
    cached = { addon: createRequire(import.meta.url)(path) as GlooAddon, reason: "" };
  } catch (e) {
    cached = { addon: null, reason: `the Gloo addon ${path} does not load (${e instanceof Error ? e.message : String(e)}); rebuild it with \`npm run build:gloo\` (needs libgloo-dev)` };
  }
  return cached;
}

/** Why the Gloo backend cannot be used, or null when it can. */
export function glooUnavailableReason(): string | null {
  const r = load();
  return r.addon ? null : r.reason;
}

export function glooAddon(where: string): GlooAddon {
  const r = load();
  if (!r.addon) throw new Error(`${where}: the gloo backend is unavailable: ${r.reason}`);
  return r.addon;
}
