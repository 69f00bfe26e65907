// Which backends exist, which one is active, and how a device name maps to one.

import type { Backend } from "./backend.js";

interface Entry {
  /** Lower is preferred as the default. */
  priority: number;
  load: () => Backend | null;
  backend?: Backend | null;
  /** Why load() returned null or threw, for backends() diagnostics. */
  reason?: string;
  /** Settles when the backend's asynchronous preparation (if any) has finished. */
  ready?: Promise<void>;
}

const entries = new Map<string, Entry>();
let active: Backend | null = null;

/**
 * Make a backend known. `load` runs lazily and returns null (or throws) when it cannot work here.
 * `prepare`, when given, starts now: asynchronous work load needs first (the wasm backend's
 * compilation on a browser's main thread). A load that failed before it finished is retried after.
 */
export function registerBackend(name: string, priority: number, load: () => Backend | null, prepare?: () => Promise<void>): void {
  const entry: Entry = { priority, load };
  if (prepare) {
    entry.ready = prepare().then(
      () => {
        if (entry.backend === null) entry.backend = entry.reason = undefined;
      },
      (err: unknown) => {
        entry.backend = null;
        entry.reason = err instanceof Error ? err.message : String(err);
      },
    );
  }
  entries.set(name, entry);
}

/** Resolves, with backends(), once every backend that prepares asynchronously (wasm in a browser) has. */
export async function backendsReady(): Promise<string[]> {
  await Promise.all([...entries.values()].map((e) => e.ready));
  return backends();
}

function tryLoad(name: string): Backend | null {
  const e = entries.get(name);
  if (!e) return null;
  if (e.backend === undefined) {
    try {
      e.backend = e.load();
      if (e.backend === null) e.reason ??= "not available on this machine";
    } catch (err) {
      e.backend = null;
      e.reason = err instanceof Error ? err.message : String(err);
    }
  }
  return e.backend;
}

/** Names of the backends usable in this process, fastest first. */
export function backends(): string[] {
  return [...entries.entries()]
    .sort((a, b) => a[1].priority - b[1].priority)
    .filter(([name]) => tryLoad(name) !== null)
    .map(([name]) => name);
}

/** Why a registered backend is not usable (undefined when it is). */
export function backendUnavailableReason(name: string): string | undefined {
  return tryLoad(name) === null ? (entries.get(name)?.reason ?? "unknown backend") : undefined;
}

export function getBackendByName(name: string, where = "backend"): Backend {
  if (typeof name !== "string") throw new TypeError(`${where}: device must be a string such as "cpu", got ${String(name)}`);
  const b = tryLoad(name);
  if (b) return b;
  const known = [...entries.keys()];
  const why = entries.has(name) ? `it is not usable here: ${entries.get(name)?.reason}` : `known backends are ${known.join(", ")}`;
  throw new Error(`${where}: backend "${name}" is not available; ${why}`);
}

/** The backend new tensors are created on: NABLA_BACKEND, else the fastest usable one. */
export function activeBackend(): Backend {
  if (active) return active;
  const fromEnv = typeof process !== "undefined" ? process.env?.NABLA_BACKEND : undefined;
  if (entries.size === 0) throw new Error("nabla: no backend is registered; import nabla's package entry (src/index.ts), which registers them");
  active = fromEnv ? getBackendByName(fromEnv, "NABLA_BACKEND") : getBackendByName(backends()[0]);
  return active;
}

export function setBackend(name: string): void {
  active = getBackendByName(name, "setBackend");
}

export function getBackend(): string {
  return activeBackend().name;
}
