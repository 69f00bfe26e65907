// TerminateOnNaN (Keras' name): end training at the first batch whose loss is NaN or infinite.
// Nothing after it can recover (every weight the step touched is NaN now), and the epoch-end
// callbacks must not checkpoint those weights, so it throws rather than waiting for the epoch's
// end: the error names the epoch, batch and step, the last finite loss, and the usual causes.

import type { Callback, FitContext, Logs } from "./callback.js";

/** The error TerminateOnNaN throws; `epoch`, `batch` (0-based) and `lastFiniteLoss` say where. */
export class NonFiniteLossError extends Error {
  constructor(readonly epoch: number, readonly batch: number, readonly step: number, readonly loss: number, readonly lastFiniteLoss: number | null) {
    const last = lastFiniteLoss === null ? "no batch before it had a finite loss" : `the last finite batch loss was ${lastFiniteLoss.toPrecision(5)}`;
    super(
      `TerminateOnNaN: the loss became ${loss} at epoch ${epoch + 1}, batch ${batch + 1} (step ${step + 1}); ${last}. ` +
      "Usual causes: a learning rate too high (try one 10x lower), or exploding gradients (clip them: clipGradNorm, e.g. 1.0)",
    );
    this.name = "NonFiniteLossError";
  }
}

export class TerminateOnNaN implements Callback {
  private lastFinite: number | null = null;

  onTrainBegin(): void {
    this.lastFinite = null;
  }

  onBatchEnd(batch: number, logs: Logs, ctx: FitContext): void {
    // The batch's own loss when fit keeps the position (logs.loss is the epoch's running mean).
    const loss = ctx.position?.batchLoss ?? logs.loss;
    if (loss === undefined) return;
    if (Number.isFinite(loss)) {
      this.lastFinite = loss;
      return;
    }
    const epoch = ctx.position?.epoch ?? ctx.history.epoch?.length ?? 0;
    throw new NonFiniteLossError(epoch, batch, epoch * ctx.stepsPerEpoch + batch, loss, this.lastFinite);
  }
}
