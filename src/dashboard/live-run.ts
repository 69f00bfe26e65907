// A run being trained in this process: the live callback pushes its events here, and the server
// streams them to the page at once. With a run folder, each event is also appended to
// <dir>/dashboard.jsonl and each filter picture written to <dir>/filters.png, so that
// `nabla dashboard --logdir` shows the same run later (or from another process, while it runs).

import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EVENTS_FILE, type RunEvent } from "./run-events.js";
import type { RunCatalog, RunSource } from "./run-source.js";

export class LiveRun implements RunSource, RunCatalog {
  private readonly log: RunEvent[] = [];
  private readonly listeners = new Set<(e: RunEvent) => void>();
  private filters: Uint8Array | null = null;

  /** `dir`: the run folder to mirror the events into (none: in memory only). */
  constructor(readonly name: string, readonly dir?: string) {
    if (dir) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, EVENTS_FILE), ""); // a new run starts a new file
    }
  }

  push(e: RunEvent): void {
    this.log.push(e);
    if (this.dir) appendFileSync(join(this.dir, EVENTS_FILE), JSON.stringify(e) + "\n");
    for (const l of this.listeners) l(e);
  }

  /** A new picture of the first layer's filters, drawn after `epoch`. */
  setFilters(png: Uint8Array, epoch: number): void {
    this.filters = png;
    if (this.dir) writeFileSync(join(this.dir, "filters.png"), png);
    this.push({ type: "filters", time: Date.now(), epoch });
  }

  events(): readonly RunEvent[] {
    return this.log;
  }

  filtersPng(): Uint8Array | null {
    return this.filters;
  }

  subscribe(listener: (e: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // As a catalog: the one run a `nabla train --dashboard` server shows.
  runs(): RunSource[] {
    return [this];
  }

  get(name: string): RunSource | undefined {
    return name === this.name ? this : undefined;
  }
}
