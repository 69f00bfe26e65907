// Fused kernels of the cuda addon: one-pass optimizer updates of a float32 parameter (Adam/AdamW,
// SGD) and softmax cross-entropy forward/backward. The optimizer steps take the composite update's
// scalars computed here exactly as src/optim/adam.ts and sgd.ts compute them, and the kernels round
// where the composite ops round, so a fused step equals the composite step bit for bit. The
// optimizer steps are the backend's optional adamStep/sgdStep entries (src/optim/fused.ts calls
// them); the cross-entropy pair computes per-row losses only and is not wired to the contract's
// reduced crossEntropy entry yet (docs/cuda.md).

import type { AdamStepParams, SgdStepParams, View } from "../backend.js";
import { begin, end, num, nums, view } from "../addon-abi/encode.js";
import type { CudaAddon, DeviceBuffer } from "./addon.js";

export interface FusedAdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** The step number t after this update (1 for the first). */
  step: number;
  /** AdamW's decoupled decay (θ ← θ·(1 − lr·λ)) instead of Adam's L2 term (g ← g + λθ). */
  decoupled: boolean;
  maximize: boolean;
}

/** SGD's fused update takes the backend contract's parameters as they are. */
export type FusedSgdOptions = SgdStepParams;

export interface CudaFusedKernels {
  /** θ, m, v (and v_max when given: AMSGrad) updated in place from g. All dense float32, one size. */
  adamStep(param: View, grad: View, expAvg: View, expAvgSq: View, maxExpAvgSq: View | null, o: FusedAdamOptions): void;
  /** The same update from the backend contract's parameters (Backend.adamStep). */
  adamStepWith(param: View, grad: View, expAvg: View, expAvgSq: View, maxExpAvgSq: View | null, p: AdamStepParams): void;
  /** θ (and the momentum buffer when momentum ≠ 0) updated in place from g. */
  sgdStep(param: View, grad: View, momentumBuffer: View | null, o: FusedSgdOptions): void;
  /**
   * Per-row loss of logits [N, C] (dense float32) against int32 targets [N]; lse [N] receives each
   * row's log-sum-exp for the backward. Rows whose target is ignoreIndex give 0.
   */
  crossEntropyForward(logits: View, target: View, loss: View, lse: View, ignoreIndex: number, labelSmoothing: number): void;
  /** gx [N, C] = gy[n]·(softmax − (1 − s)·onehot − s/C), 0 for ignored rows. */
  crossEntropyBackward(logits: View, target: View, lse: View, gy: View, gx: View, ignoreIndex: number, labelSmoothing: number): void;
}

const buf = (v: View): DeviceBuffer => v.buf as DeviceBuffer;

export function cudaFusedKernels(a: CudaAddon): CudaFusedKernels {
  const kernels: CudaFusedKernels = {
    adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq, o) {
      const [beta1, beta2] = o.betas;
      // The scalars of src/optim/adam.ts's adamUpdate, in the same double arithmetic.
      kernels.adamStepWith(param, grad, expAvg, expAvgSq, maxExpAvgSq, {
        lr: o.lr, beta1, beta2, eps: o.eps, weightDecay: o.weightDecay,
        stepSize: o.lr / (1 - beta1 ** o.step), bias2Sqrt: Math.sqrt(1 - beta2 ** o.step),
        decoupled: o.decoupled, amsgrad: maxExpAvgSq !== null, maximize: o.maximize,
      });
    },

    adamStepWith(param, grad, expAvg, expAvgSq, maxExpAvgSq, p) {
      const decay = p.decoupled ? 1 - p.lr * p.weightDecay : p.weightDecay;
      begin();
      nums([p.beta1, 1 - p.beta1, p.beta2, 1 - p.beta2, decay, p.bias2Sqrt, -p.stepSize, p.eps]);
      nums([p.decoupled ? 1 : 0, !p.decoupled && p.weightDecay !== 0 ? 1 : 0, p.maximize ? 1 : 0]);
      view(param, 1); view(grad, 2); view(expAvg, 3); view(expAvgSq, 4);
      if (maxExpAvgSq) {
        num(1);
        view(maxExpAvgSq, 5);
      } else num(0);
      a.adamStep(end(), buf(param), buf(grad), buf(expAvg), buf(expAvgSq), buf(maxExpAvgSq ?? param));
    },

    sgdStep(param, grad, momentumBuffer, o) {
      begin();
      nums([o.weightDecay, o.momentum, 1 - o.dampening, -o.lr, o.nesterov ? 1 : 0, o.maximize ? 1 : 0, o.firstStep ? 1 : 0]);
      view(param, 1); view(grad, 2);
      if (momentumBuffer) {
        num(1);
        view(momentumBuffer, 3);
      } else num(0);
      a.sgdStep(end(), buf(param), buf(grad), buf(momentumBuffer ?? param));
    },

    crossEntropyForward(logits, target, loss, lse, ignoreIndex, labelSmoothing) {
      begin(); num(ignoreIndex); num(labelSmoothing); view(logits, 1); view(target, 2); view(loss, 3); view(lse, 4);
      a.crossEntropyForward(end(), buf(logits), buf(target), buf(loss), buf(lse));
    },

    crossEntropyBackward(logits, target, lse, gy, gx, ignoreIndex, labelSmoothing) {
      begin(); num(ignoreIndex); num(labelSmoothing); view(logits, 1); view(target, 2); view(lse, 3); view(gy, 4); view(gx, 5);
      a.crossEntropyBackward(end(), buf(logits), buf(target), buf(lse), buf(gy), buf(gx));
    },
  };
  return kernels;
}
