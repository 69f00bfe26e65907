// The callback behind `nabla train --dashboard`: turns nb.fit's hooks into dashboard events on a
// LiveRun — the start, the epoch's progress (batch k of n, running loss, images per second) a
// few times a second, each epoch's logs, the first convolution's filters after each epoch, and
// the diagnosis of the curves at the end. Training runs on the same thread as the server, so
// the callback also lets the event loop run now and then: otherwise no page could connect, and
// no event would leave, until training ended.

import type { Callback, FitContext, Logs } from "../train/callbacks/callback.js";
import { diagnose } from "../train/diagnose.js";
import { firstConv } from "../viz/layer-pictures.js";
import { filters } from "../viz/filters.js";
import type { LiveRun } from "./live-run.js";

export interface DashboardCallbackOptions {
  /** Shown on the page: model, dataset, optimizer, ... */
  info?: Record<string, string | number>;
  /** The training batches are augmented (the diagnosis reads the curves accordingly). */
  augmented?: boolean;
  /** Milliseconds between progress events (default 250). */
  progressEveryMs?: number;
}

/** How often training gives the server a turn (milliseconds). */
const YIELD_EVERY_MS = 50;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class DashboardCallback implements Callback {
  /** Only rank 0 of a distributed fit writes (nb.fit leaves this callback out on the other ranks). */
  readonly rankZeroOnly = true;
  private epoch = 0;
  private epochStart = 0;
  /** When the epoch's last training batch ended (validation runs after it). */
  private trainEnd = 0;
  private lastProgress = 0;
  private lastYield = 0;
  private readonly progressEveryMs: number;

  constructor(readonly run: LiveRun, private readonly opts: DashboardCallbackOptions = {}) {
    this.progressEveryMs = opts.progressEveryMs ?? 250;
  }

  onTrainBegin(_logs: Logs, ctx: FitContext): void {
    this.run.push({ type: "start", time: Date.now(), epochs: ctx.epochs, stepsPerEpoch: ctx.stepsPerEpoch, initialEpoch: ctx.initialEpoch, info: this.opts.info ?? {} });
    this.drawFilters(ctx, ctx.initialEpoch - 1); // the filters as initialised (or resumed)
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.epochStart = this.lastProgress = performance.now();
  }

  async onBatchEnd(batch: number, logs: Logs, ctx: FitContext): Promise<void> {
    const now = performance.now();
    const last = batch + 1 === ctx.stepsPerEpoch;
    if (last) this.trainEnd = now;
    if (last || now - this.lastProgress >= this.progressEveryMs) {
      this.lastProgress = now;
      this.run.push({
        type: "batch", time: Date.now(), epoch: this.epoch, batch, stepsPerEpoch: ctx.stepsPerEpoch,
        logs: { ...logs }, imagesPerSecond: this.imagesSeen(batch, ctx) / Math.max((now - this.epochStart) / 1000, 1e-9),
      });
    }
    if (now - this.lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      this.lastYield = performance.now();
    }
  }

  async onEpochEnd(epoch: number, logs: Logs, ctx: FitContext): Promise<void> {
    const now = performance.now();
    const seconds = (now - this.epochStart) / 1000;
    // Throughput of the training pass (forward, backward, step), up to its last batch: validation is not training.
    const trainSeconds = ((this.trainEnd > this.epochStart ? this.trainEnd : now) - this.epochStart) / 1000;
    const images = this.imagesSeen(ctx.stepsPerEpoch - 1, ctx);
    this.run.push({ type: "epoch", time: Date.now(), epoch, logs: { ...logs }, seconds, imagesPerSecond: images / Math.max(trainSeconds, 1e-9) });
    this.drawFilters(ctx, epoch);
    await yieldToEventLoop();
  }

  onTrainEnd(_logs: Logs, ctx: FitContext): void {
    const history = ctx.history;
    const epochs = history.epoch?.length ?? 0;
    let diagnosis = null;
    if (epochs > 0) {
      const d = diagnose(history, { model: ctx.model, optimizer: ctx.optimizer, augmented: this.opts.augmented });
      diagnosis = { verdict: d.verdict, confidence: d.confidence, explanation: d.explanation, remedies: d.remedies, notes: d.notes };
    }
    this.run.push({ type: "end", time: Date.now(), epochs, diagnosis });
  }

  /** Images trained on in the epoch up to batch `batch` (the last batch may be short). */
  private imagesSeen(batch: number, ctx: FitContext): number {
    const loader = ctx.trainLoader;
    if (!loader) return batch + 1; // unknown batch size: count batches
    return Math.min((batch + 1) * loader.batchSize, loader.dropLast ? ctx.stepsPerEpoch * loader.batchSize : loader.dataset.length);
  }

  private drawFilters(ctx: FitContext, epoch: number): void {
    const first = firstConv(ctx.model);
    if (first) this.run.setFilters(filters(first.conv), epoch);
  }
}
