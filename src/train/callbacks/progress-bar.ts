// ProgressBar: Keras-like output. On a terminal, a live bar with steps/s, ETA and running metrics
// that is redrawn in place; otherwise (a file, a CI log) one summary line per epoch.

import { type Callback, type FitContext, type Logs } from "./callback.js";
import { checkOptions, optionNames } from "../../core/options.js";

const WIDTH = 30;

function formatTime(seconds: number): string {
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}:${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;
  return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
}

export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k}: ${Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3)}`)
    .join(" - ");
}

export interface ProgressBarOptions {
  /** Redraw a live bar in place (default: when the stream is a terminal). */
  live?: boolean;
  /** Where to write (default process.stdout; without one, as in a browser, the console). */
  stream?: NodeJS.WriteStream;
}

export const PROGRESS_BAR_OPTIONS = optionNames<ProgressBarOptions>({ live: 1, stream: 1 });

export class ProgressBar implements Callback {
  /** Only rank 0 of a distributed fit writes (nb.fit leaves this callback out on the other ranks). */
  readonly rankZeroOnly = true;
  private start = 0;
  private lastDraw = 0;
  private readonly live: boolean;
  private readonly write: (s: string) => void;

  constructor(opts: ProgressBarOptions = {}) {
    checkOptions("ProgressBar", opts, PROGRESS_BAR_OPTIONS);
    const stream = opts.stream ?? (typeof process !== "undefined" ? process.stdout : undefined);
    if (stream) {
      this.live = opts.live ?? Boolean(stream.isTTY);
      this.write = (s) => stream.write(s);
    } else {
      // No stdout (a browser page): one console line per epoch, never a redrawn bar.
      this.live = false;
      this.write = (s) => console.log(s.replace(/\n$/, ""));
    }
  }

  onEpochBegin(epoch: number, _logs: Logs, ctx: FitContext): void {
    this.start = performance.now();
    this.lastDraw = 0;
    if (this.live) this.write(`Epoch ${epoch + 1}/${ctx.epochs}\n`);
  }

  onBatchEnd(batch: number, logs: Logs, ctx: FitContext): void {
    if (!this.live) return;
    const now = performance.now();
    const done = batch + 1;
    if (now - this.lastDraw < 100 && done < ctx.stepsPerEpoch) return; // redraw at most 10 times a second
    this.lastDraw = now;
    const elapsed = (now - this.start) / 1000;
    const rate = done / Math.max(elapsed, 1e-9);
    const eta = (ctx.stepsPerEpoch - done) / rate;
    this.write(`\r${this.bar(done, ctx.stepsPerEpoch)} - ETA ${formatTime(eta)} - ${rate.toFixed(1)} steps/s - ${formatLogs(logs)}\x1b[K`);
  }

  onEpochEnd(epoch: number, logs: Logs, ctx: FitContext): void {
    const elapsed = (performance.now() - this.start) / 1000;
    const perStep = (elapsed * 1000) / Math.max(ctx.stepsPerEpoch, 1);
    const line = `${this.bar(ctx.stepsPerEpoch, ctx.stepsPerEpoch)} - ${formatTime(elapsed)} ${perStep.toFixed(0)}ms/step - ${formatLogs(logs)}`;
    if (this.live) this.write(`\r${line}\x1b[K\n`);
    else this.write(`Epoch ${epoch + 1}/${ctx.epochs} - ${line}\n`);
  }

  private bar(done: number, total: number): string {
    const filled = total > 0 ? Math.round((WIDTH * done) / total) : WIDTH;
    const arrow = filled < WIDTH ? ">" : "";
    const body = "=".repeat(Math.max(0, filled - arrow.length)) + arrow + ".".repeat(WIDTH - filled);
    return `${String(done).padStart(String(total).length)}/${total} [${body}]`;
  }
}
