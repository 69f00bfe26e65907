// What a dashboard knows about a run: a list of events, in the order they happened. The live
// callback sends them to the server as they happen and appends them to <out>/dashboard.jsonl (one
// JSON object a line), so a dashboard started later reads the same run from its folder.

import type { Diagnosis } from "../train/diagnose.js";

/** The file in a run folder that the live callback appends the run's events to. */
export const EVENTS_FILE = "dashboard.jsonl";

/** Training started: what runs, for how long. */
export interface StartEvent {
  type: "start";
  /** Wall-clock milliseconds (Date.now()). */
  time: number;
  epochs: number;
  stepsPerEpoch: number;
  /** The epoch training starts at (0, or later when resuming). */
  initialEpoch: number;
  /** Free-form description: model, dataset, optimizer, batch size, backend. */
  info: Record<string, string | number>;
}

/** Progress inside an epoch: sent at most a few times a second, and after the epoch's last batch. */
export interface BatchEvent {
  type: "batch";
  time: number;
  /** 0-based epoch and batch. */
  epoch: number;
  batch: number;
  stepsPerEpoch: number;
  /** The running means of the epoch so far (loss, accuracy, ...). */
  logs: Record<string, number>;
  /** Training images per second over the epoch so far. */
  imagesPerSecond: number;
}

/** An epoch ended: its logs (loss, accuracy, val_loss, val_accuracy, lr, ...), time and throughput. */
export interface EpochEvent {
  type: "epoch";
  time: number;
  epoch: number;
  logs: Record<string, number>;
  /** The epoch's wall time, validation included. */
  seconds: number;
  /** Training images per second over the epoch's training pass (validation excluded). */
  imagesPerSecond: number;
}

/** The first convolution's filters were redrawn (the picture is served as the run's filters.png). */
export interface FiltersEvent {
  type: "filters";
  time: number;
  epoch: number;
}

/** Training ended: the diagnosis of the curves, in the course's words. */
export interface EndEvent {
  type: "end";
  time: number;
  epochs: number;
  diagnosis: Pick<Diagnosis, "verdict" | "confidence" | "explanation" | "remedies" | "notes"> | null;
}

/** The best weights' accuracy on the test split, when the run has one. */
export interface TestEvent {
  type: "test";
  time: number;
  accuracy: number;
}

export type RunEvent = StartEvent | BatchEvent | EpochEvent | FiltersEvent | EndEvent | TestEvent;

const TYPES = new Set<RunEvent["type"]>(["start", "batch", "epoch", "filters", "end", "test"]);

/** One line of a dashboard.jsonl back into an event; null for a line that is not one (a torn last line). */
export function parseEventLine(line: string): RunEvent | null {
  if (line.trim() === "") return null;
  try {
    const e = JSON.parse(line) as RunEvent;
    return e !== null && typeof e === "object" && TYPES.has(e.type) ? e : null;
  } catch {
    return null;
  }
}
