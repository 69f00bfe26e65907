// Runs on disk, for `nabla dashboard --logdir runs`: every folder under the log dir (up to two
// levels down) that holds what `nabla train --out` writes. A run trained with --dashboard has the
// events themselves (dashboard.jsonl); an older or plain run has only its history (history.json,
// or the CSVLogger's history.csv) and diagnosis.json, from which the same events are rebuilt.
// A run still being written is followed by polling its events file.

import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import { EVENTS_FILE, parseEventLine, type RunEvent } from "./run-events.js";
import type { RunCatalog, RunSource } from "./run-source.js";

const HISTORY_FILES = ["history.json", "history.csv"];
/** How deep under the log dir runs are looked for (runs/exp/a is two levels). */
const MAX_DEPTH = 2;
const POLL_MS = 500;

export function isRunFolder(dir: string): boolean {
  return [EVENTS_FILE, ...HISTORY_FILES].some((f) => existsSync(join(dir, f)));
}

/** History arrays by key (history.json, or history.csv's columns), or null when neither reads. */
function readHistory(dir: string): Record<string, number[]> | null {
  const json = join(dir, "history.json");
  if (existsSync(json)) {
    try {
      const h = JSON.parse(readFileSync(json, "utf8")) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(h).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, (v as unknown[]).map(Number)]));
    } catch {
      return null;
    }
  }
  const csv = join(dir, "history.csv");
  if (!existsSync(csv)) return null;
  const [header, ...rows] = readFileSync(csv, "utf8").split("\n").filter((l) => l.trim() !== "");
  if (!header) return null;
  const keys = header.split(",");
  const h: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k, []]));
  for (const row of rows) row.split(",").forEach((v, i) => keys[i] !== undefined && h[keys[i]].push(Number(v)));
  return h;
}

/** The events of a run folder without dashboard.jsonl, rebuilt from its history and diagnosis. */
function eventsFromHistory(dir: string): RunEvent[] {
  const h = readHistory(dir);
  if (!h) return [];
  const time = statSync(existsSync(join(dir, "history.json")) ? join(dir, "history.json") : join(dir, "history.csv")).mtimeMs;
  const keys = Object.keys(h).filter((k) => k !== "epoch");
  const n = Math.max(0, ...keys.map((k) => h[k].length));
  const events: RunEvent[] = [{ type: "start", time, epochs: n, stepsPerEpoch: 0, initialEpoch: 0, info: {} }];
  for (let i = 0; i < n; i++) {
    const logs = Object.fromEntries(keys.filter((k) => Number.isFinite(h[k][i])).map((k) => [k, h[k][i]]));
    events.push({ type: "epoch", time, epoch: h.epoch?.[i] ?? i, logs, seconds: NaN, imagesPerSecond: NaN });
  }
  let diagnosis = null;
  try {
    diagnosis = JSON.parse(readFileSync(join(dir, "diagnosis.json"), "utf8"));
  } catch {
    // no diagnosis written: the run still counts as finished, its history is complete
  }
  events.push({ type: "end", time, epochs: n, diagnosis });
  return events;
}

/** A run folder, read on demand and followed (its dashboard.jsonl polled) while a page listens. */
export class FolderRun implements RunSource {
  private cache: RunEvent[] = [];
  /** Bytes of dashboard.jsonl already parsed into `cache` (complete lines only). */
  private offset = 0;
  private readonly listeners = new Set<(e: RunEvent) => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly name: string, readonly dir: string) {}

  events(): readonly RunEvent[] {
    if (!existsSync(join(this.dir, EVENTS_FILE))) return eventsFromHistory(this.dir);
    this.readNew();
    return this.cache;
  }

  filtersPng(): Uint8Array | null {
    const path = join(this.dir, "filters.png");
    return existsSync(path) ? readFileSync(path) : null;
  }

  subscribe(listener: (e: RunEvent) => void): () => void {
    this.listeners.add(listener);
    this.timer ??= setInterval(() => {
      for (const e of this.readNew()) for (const l of this.listeners) l(e);
    }, POLL_MS);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  /** Parse what was appended since the last read; a file that shrank (a new run in the folder) is read afresh. */
  private readNew(): RunEvent[] {
    const path = join(this.dir, EVENTS_FILE);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return [];
    }
    if (size < this.offset) [this.cache, this.offset] = [[], 0];
    if (size === this.offset) return [];
    const bytes = Buffer.alloc(size - this.offset);
    const fd = openSync(path, "r");
    try {
      readSync(fd, bytes, 0, bytes.length, this.offset);
    } finally {
      closeSync(fd);
    }
    const end = bytes.lastIndexOf(0x0a) + 1; // a line still being written waits for the next read
    this.offset += end;
    const fresh = bytes.subarray(0, end).toString("utf8").split("\n").map(parseEventLine).filter((e): e is RunEvent => e !== null);
    this.cache.push(...fresh);
    return fresh;
  }
}

/** Every run folder under `logDir` (the log dir itself too, when it is a run), by relative path. */
export function findRunFolders(logDir: string): Map<string, string> {
  const root = resolve(logDir);
  const found = new Map<string, string>();
  if (isRunFolder(root)) found.set(basename(root), root);
  const walk = (dir: string, depth: number) => {
    if (depth > MAX_DEPTH) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    // Symbolic links are not followed: the server shows what lies under the log dir, nothing else.
    for (const e of entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, e.name);
      if (isRunFolder(path)) found.set(relative(root, path).split(sep).join("/"), path);
      else walk(path, depth + 1);
    }
  };
  walk(root, 1);
  return found;
}

/** The runs under a log dir, found again on every listing (runs started later appear). */
export class FolderCatalog implements RunCatalog {
  private readonly known = new Map<string, FolderRun>();

  constructor(readonly logDir: string) {
    if (!existsSync(logDir) || !statSync(logDir).isDirectory()) throw new Error(`dashboard: --logdir ${logDir} is not a folder`);
  }

  runs(): RunSource[] {
    const folders = findRunFolders(this.logDir);
    for (const [name, dir] of folders) if (!this.known.has(name)) this.known.set(name, new FolderRun(name, dir));
    return [...folders.keys()].map((name) => this.known.get(name)!);
  }

  get(name: string): RunSource | undefined {
    return this.known.get(name) ?? this.runs().find((r) => r.name === name);
  }
}
