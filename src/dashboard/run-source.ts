// A run as the dashboard server sees it: its events so far, its latest filter picture, and a
// way to hear about new events. Two kinds exist: a live run fed by the training callback in the
// same process (live-run.ts), and a run folder read from disk (run-folder.ts). A catalog is the
// set of runs one server shows.

import type { RunEvent } from "./run-events.js";

export interface RunSource {
  /** The name the page and the URLs use (a folder's path under --logdir). */
  readonly name: string;
  events(): readonly RunEvent[];
  /** The first convolution's filters as PNG bytes, or null (no convolution, or not drawn yet). */
  filtersPng(): Uint8Array | null;
  /** Call `listener` for every later event; returns the function that stops it. */
  subscribe(listener: (e: RunEvent) => void): () => void;
}

export interface RunCatalog {
  runs(): RunSource[];
  /** The run of that exact name, or undefined: names are looked up, never turned into paths. */
  get(name: string): RunSource | undefined;
  close?(): void;
}

export interface RunSummary {
  name: string;
  /** "finished" after the end event; "running" before it (a run whose process died stays "running": see lastUpdate). */
  status: "running" | "finished";
  epochsDone: number;
  epochs: number | null;
  /** Wall-clock milliseconds of the last event (null for a run without any). */
  lastUpdate: number | null;
  info: Record<string, string | number>;
  /** The last epoch's logs. */
  last: Record<string, number>;
  testAccuracy: number | null;
}

export function summarize(run: RunSource): RunSummary {
  const events = run.events();
  const start = events.find((e) => e.type === "start");
  const epochs = events.filter((e) => e.type === "epoch");
  const test = events.filter((e) => e.type === "test").pop();
  return {
    name: run.name,
    status: events.some((e) => e.type === "end") ? "finished" : "running",
    epochsDone: epochs.length,
    epochs: start?.type === "start" ? start.epochs : null,
    lastUpdate: events.length ? events[events.length - 1].time : null,
    info: start?.type === "start" ? start.info : {},
    last: epochs.length ? (epochs[epochs.length - 1] as Extract<RunEvent, { type: "epoch" }>).logs : {},
    testAccuracy: test?.type === "test" ? test.accuracy : null,
  };
}
