// The fixed problem of test/fixtures/optim.json (see scripts/fixtures/optim.py) and builders that
// turn its JSON option objects into nabla optimizers and schedulers.

import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";

export interface TensorJSON {
  shape: number[];
  data: number[];
}
export interface SchedulerSpec {
  type: string;
  options?: Record<string, unknown>;
  schedulers?: SchedulerSpec[];
  milestones?: number[];
}
export interface OptimizerCase {
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  groups?: ({ params: string[] } & Record<string, unknown>)[];
  scheduler?: SchedulerSpec;
  negateLoss?: boolean;
  trajectory: number[][][];
}

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8"));

export const optimFixture = fixture("optim.json") as {
  problem: { X: TensorJSON; Y: TensorJSON; params: (TensorJSON & { name: string })[] };
  cases: OptimizerCase[];
};
export const schedulerFixture = fixture("optim-lr-scheduler.json") as {
  cases: {
    name: string; optimizer: string; options: Record<string, unknown>; groupLrs: number[];
    schedulers: SchedulerSpec[]; lrs: number[][]; momenta: number[][]; metrics?: number[];
  }[];
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type OptimizerClass = new (params: any, options?: any) => nb.optim.Optimizer<any>;
export const OPTIMIZERS: Record<string, OptimizerClass> = {
  SGD: nb.optim.SGD, Adam: nb.optim.Adam, AdamW: nb.optim.AdamW, NAdam: nb.optim.NAdam,
  RMSprop: nb.optim.RMSprop, Adagrad: nb.optim.Adagrad, Adadelta: nb.optim.Adadelta,
};

const toTensor = (t: TensorJSON): nb.Tensor => nb.tensor(Float32Array.from(t.data), { shape: t.shape });

export const X = nb.keep(toTensor(optimFixture.problem.X));
export const Y = nb.keep(toTensor(optimFixture.problem.Y));

/** Fresh W [5, 3], b [3], s [1] at the fixture's initial values. */
export function freshParams(): { W: nb.nn.Parameter; b: nb.nn.Parameter; s: nb.nn.Parameter } {
  const [W, b, s] = optimFixture.problem.params.map((p) => new nb.nn.Parameter(toTensor(p)));
  return { W, b, s };
}

/** mean((tanh(X·W + b)·s − Y)²), X·W written with broadcasting as in the fixture script. */
export function loss(W: nb.Tensor, b: nb.Tensor, s: nb.Tensor): nb.Tensor {
  const xw = X.unsqueeze(2).mul(W.unsqueeze(0)).sum(1);
  return nb.tanh(xw.add(b)).mul(s).sub(Y).square().mean();
}

/** The optimizer a fixture case describes (NAdam's `negateLoss` case is nabla's maximize). */
export function buildOptimizer(c: OptimizerCase, params: Record<string, nb.Tensor>): nb.optim.Optimizer<any> {
  const options = c.negateLoss ? { ...c.options, maximize: true } : c.options;
  const arg = c.groups ? c.groups.map((g) => ({ ...g, params: g.params.map((n) => params[n]) })) : [params.W, params.b, params.s];
  return new OPTIMIZERS[c.optimizer](arg, options);
}

export type AnyScheduler = nb.optim.lrScheduler.LRScheduler | nb.optim.lrScheduler.ReduceLROnPlateau;

export function buildScheduler(opt: nb.optim.Optimizer<any>, spec: SchedulerSpec): AnyScheduler {
  const S = nb.optim.lrScheduler;
  const o = (spec.options ?? {}) as any;
  switch (spec.type) {
    case "StepLR": return new S.StepLR(opt, o);
    case "MultiStepLR": return new S.MultiStepLR(opt, o);
    case "ExponentialLR": return new S.ExponentialLR(opt, o);
    case "CosineAnnealingLR": return new S.CosineAnnealingLR(opt, o);
    case "LinearLR": return new S.LinearLR(opt, o);
    case "OneCycleLR": return new S.OneCycleLR(opt, o);
    case "ReduceLROnPlateau": return new S.ReduceLROnPlateau(opt, o);
    case "SequentialLR": {
      const children = (spec.schedulers ?? []).map((c) => buildScheduler(opt, c) as nb.optim.lrScheduler.LRScheduler);
      return new S.SequentialLR(opt, { schedulers: children, milestones: spec.milestones ?? [] });
    }
    default: throw new Error(`unknown scheduler ${spec.type}`);
  }
}

/** One training step on the problem, inside a tidy scope (optimizer state must survive it). */
export function trainStep(opt: nb.optim.Optimizer<any>, p: { W: nb.Tensor; b: nb.Tensor; s: nb.Tensor }): void {
  nb.tidy(() => {
    opt.zeroGrad();
    loss(p.W, p.b, p.s).backward();
    opt.step();
  });
}
