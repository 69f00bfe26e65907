// The Optimizer base class (torch.optim.Optimizer): parameter groups with their own options, lazy
// per-parameter state, step / zeroGrad, and a state dict that resumes training exactly.
// Subclasses supply two things: how their options are validated and how one parameter is updated.

import { Tensor } from "../tensor/tensor.js";
import { keep, tidy } from "../tensor/scope.js";
import { isFloating } from "../core/dtype.js";
import { formatShape, shapesEqual } from "../core/shape.js";
import { enableGrad, noGrad } from "../autograd/grad-mode.js";
import { copy_, zero_ } from "../ops/elementwise.js";
import { empty } from "../ops/util.js";
import { clone, to } from "../ops/view.js";
import { OptionCheck, describe, snakeCaseTwin, unknownOption } from "./checks.js";
import { stateDictFromJSON } from "./serialize.js";
import { effectful } from "../graph/recorder.js";

/** Options every optimizer has. */
export interface OptimizerOptions {
  lr: number;
}

/**
 * One parameter group: its tensors and the full set of options they are updated with. Options are
 * plain mutable fields (schedulers write `lr`, OneCycleLR also `momentum` or `betas`). Extra keys
 * are allowed and kept (a scheduler's `initialLr`, or your own, e.g. a `name` for logging).
 */
export interface ParamGroup extends OptimizerOptions {
  params: Tensor[];
  /** Set by the first lr scheduler attached to the optimizer: the lr schedules start from. */
  initialLr?: number;
  [option: string]: unknown;
}

/** A parameter group as given to the constructor: tensors plus the options it overrides. */
export type ParamGroupInput<O> = Partial<O> & { params: Iterable<Tensor> | Tensor; [option: string]: unknown };

/** What an optimizer is given: tensors (e.g. model.parameters()) or parameter groups. */
export type ParamsInput<O> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** Per-parameter state: tensors (moments, buffers) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

/**
 * torch's layout: `state` by parameter index (counting through the groups in order) and each
 * group's options with `params` as those indices. State tensors are copies, outside tidy scopes.
 * `nb.optim.stateDictToJSON` turns it into plain JSON; loadStateDict takes either form.
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

export abstract class Optimizer<O extends OptimizerOptions = OptimizerOptions> {
  /** The constructor's options, used for groups that do not override them. */
  readonly defaults: O;
  readonly paramGroups: (ParamGroup & O)[] = [];
  /** Per-parameter state, created on a parameter's first update. */
  readonly state = new Map<Tensor, ParamState>();

  /**
   * @param params tensors, or groups `{ params, ...options }` whose options override `defaults`
   *   (e.g. a pretrained base at lr 1e-4 and a new head at 1e-2).
   * @param defaults every option of this optimizer, already merged with the user's.
   */
  constructor(params: ParamsInput<O>, defaults: O) {
    this.defaults = defaults;
    this.checkOptions(defaults, new OptionCheck(this.name));
    const groups = this.splitGroups(params);
    for (const g of groups) this.addParamGroup(g);
  }

  /** The class name errors and toString() use. */
  get name(): string {
    return this.constructor.name;
  }

  /** Validate one group's options (throw through `check`, which names the optimizer and group). */
  protected abstract checkOptions(options: O, check: OptionCheck): void;

  /**
   * Update one parameter from its gradient (runs under noGrad inside a tidy scope, so temporaries
   * are freed; tensors stored in `state` must be created with `this.persistent(...)`).
   */
  protected abstract updateParam(param: Tensor, grad: Tensor, state: ParamState, group: ParamGroup & O): void;

  /** Keep a state tensor alive past the update's tidy scope. */
  protected persistent(t: Tensor): Tensor {
    return keep(t);
  }

  private splitGroups(params: ParamsInput<O>): ParamGroupInput<O>[] {
    const owner = this.name;
    if (params instanceof Tensor) {
      throw new TypeError(`${owner}: params must be an array of tensors or of parameter groups, got a single Tensor (wrap it in an array)`);
    }
    if (params === null || typeof params !== "object" || typeof (params as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new TypeError(`${owner}: params must be an array of tensors (e.g. model.parameters()) or of parameter groups, got ${describe(params)}`);
    }
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new RangeError(`${owner}: got an empty parameter list`);
    if (list[0] instanceof Tensor) return [{ params: list as Tensor[] } as unknown as ParamGroupInput<O>];
    list.forEach((g, i) => {
      if (g instanceof Tensor || g === null || typeof g !== "object" || !("params" in g)) {
        throw new TypeError(
          `${owner}: params[${i}] is ${g instanceof Tensor ? "a Tensor" : describe(g)}, but params[0] is a parameter group; ` +
            "pass either tensors or groups { params, ...options }, not a mix",
        );
      }
    });
    return list as ParamGroupInput<O>[];
  }

  /** Add a group (torch's add_param_group), e.g. layers unfrozen part-way through fine-tuning. */
  addParamGroup(group: ParamGroupInput<O>): void {
    const owner = this.name;
    const index = this.paramGroups.length;
    if (group === null || typeof group !== "object" || !("params" in group)) {
      throw new TypeError(`${owner}: a parameter group must be an object { params, ...options }, got ${describe(group)}`);
    }
    const given = group.params as unknown;
    const params: unknown[] = given instanceof Tensor ? [given] : given !== null && typeof given === "object" && Symbol.iterator in given
      ? [...(given as Iterable<unknown>)]
      : this.failType(`parameter group ${index}: params must be an array of tensors, got ${describe(given)}`);
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      const where = `parameter group ${index}, params[${i}]`;
      if (!(p instanceof Tensor)) this.failType(`${where} must be a Tensor, got ${describe(p)}`);
      if (p.isDisposed) throw new Error(`${owner}: ${where} has been disposed`);
      if (!isFloating(p.dtype)) this.failType(`${where} has dtype ${p.dtype}; only floating-point tensors can be optimized`);
      if (!p.isLeaf && !p.retainsGrad) {
        throw new Error(`${owner}: ${where} is not a leaf tensor (it was computed by an op); optimize the leaf it came from, or p.detach().requiresGrad_()`);
      }
      if (seen.has(p)) throw new Error(`${owner}: ${where} appears twice in the group`);
      seen.add(p);
    });
    for (const [j, other] of this.paramGroups.entries()) {
      if (other.params.some((p) => seen.has(p))) {
        throw new Error(`${owner}: some parameters appear in more than one parameter group (groups ${j} and ${index})`);
      }
    }
    const known = Object.keys(this.defaults);
    const merged: Record<string, unknown> = copyOptions(this.defaults as unknown as Record<string, unknown>);
    for (const [key, value] of Object.entries(group)) {
      if (key === "params" || value === undefined) continue;
      if (snakeCaseTwin(key, known)) throw unknownOption(`${owner}: parameter group ${index}`, key, known);
      merged[key] = Array.isArray(value) ? [...value] : value;
    }
    merged.params = params as Tensor[];
    this.checkOptions(merged as unknown as O, new OptionCheck(owner, index));
    this.paramGroups.push(merged as unknown as ParamGroup & O);
  }

  private failType(message: string): never {
    throw new TypeError(`${this.name}: ${message}`);
  }

  /**
   * One update of every parameter that has a gradient (parameters whose .grad is null are
   * skipped, as in torch). A closure, if given, is run first with gradients enabled (it should
   * zero the grads, compute the loss and call backward) and its result returned.
   */
  step<L = Tensor | number>(closure?: () => L): L | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const grad = p.grad;
          if (grad === null) continue;
          let state = this.state.get(p);
          if (state === undefined) {
            state = {};
            this.state.set(p, state);
          }
          const s = state;
          tidy(() => this.updateParam(p, grad, s, group));
        }
      }
    });
    return loss;
  }

  /** Clear the gradients: set to null (torch's default set_to_none), or fill with zeros. */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (setToNone) p.zeroGrad();
        else {
          const g = p.grad;
          noGrad(() => zero_(g));
        }
      }
    }
  }

  /** A snapshot of the optimizer (see OptimizerStateDict): load it into a new one to resume. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const packed = copyOptions(g) as Record<string, unknown> & { params: number[] };
      packed.params = g.params.map((p) => {
        if (!index.has(p)) index.set(p, index.size);
        return index.get(p) as number;
      });
      return packed;
    });
    const state: Record<number, ParamState> = {};
    noGrad(() => {
      for (const [p, s] of this.state) {
        const i = index.get(p);
        if (i === undefined) continue;
        const copy: ParamState = {};
        for (const [k, v] of Object.entries(s)) copy[k] = v instanceof Tensor ? keep(clone(v)) : v;
        state[i] = copy;
      }
    });
    return { state, paramGroups };
  }

  /**
   * Restore from stateDict() (or its JSON form): the groups' options (lr included) and every
   * parameter's state, matched by position. The groups must have the same sizes, and state
   * tensors the shapes of their parameters; state is copied to each parameter's dtype and device.
   */
  loadStateDict(stateDict: OptimizerStateDict | unknown): void {
    const owner = `${this.name}.loadStateDict`;
    const fail = (msg: string): never => {
      throw new Error(`${owner}: ${msg}`);
    };
    tidy(() => {
      const sd = stateDictFromJSON<OptimizerStateDict>(stateDict);
      if (sd === null || typeof sd !== "object" || !Array.isArray(sd.paramGroups) || sd.state === null || typeof sd.state !== "object") {
        fail("expected an object { state, paramGroups } from optimizer.stateDict()");
      }
      if (sd.paramGroups.length !== this.paramGroups.length) {
        fail(`the state dict has ${sd.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
      }
      const byIndex = new Map<number, Tensor>();
      sd.paramGroups.forEach((saved, gi) => {
        const mine = this.paramGroups[gi];
        if (!Array.isArray(saved.params) || saved.params.length !== mine.params.length) {
          const n = Array.isArray(saved.params) ? saved.params.length : "no";
          fail(`parameter group ${gi} has ${n} parameters in the state dict, ${mine.params.length} here`);
        }
        const missing = Object.keys(this.defaults).filter((k) => !(k in saved));
        if (missing.length) fail(`parameter group ${gi} lacks the options ${missing.join(", ")} (is it the state of another kind of optimizer?)`);
        saved.params.forEach((id, j) => byIndex.set(Number(id), mine.params[j]));
      });
      const newState = new Map<Tensor, ParamState>();
      for (const [key, saved] of Object.entries(sd.state)) {
        const p = byIndex.get(Number(key)) ?? fail(`state for parameter ${key}, which no parameter group lists`);
        const s: ParamState = {};
        for (const [name, v] of Object.entries(saved as Record<string, unknown>)) {
          if (v instanceof Tensor) {
            if (!shapesEqual(v.shape, p.shape)) {
              fail(`state "${name}" of parameter ${key} has shape ${formatShape(v.shape)}, but the parameter has shape ${formatShape(p.shape)}`);
            }
            s[name] = v;
          } else if (typeof v === "number") s[name] = v;
          else if (v !== null && v !== undefined) fail(`state "${name}" of parameter ${key} is ${describe(v)}; expected a tensor or a number`);
        }
        newState.set(p, s);
      }
      // Everything checked: copy the tensors into state like their parameters, then swap.
      noGrad(() => {
        for (const [p, s] of newState) {
          for (const [name, v] of Object.entries(s)) if (v instanceof Tensor) s[name] = keep(copyLike(v, p));
        }
      });
      for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
      this.state.clear();
      for (const [p, s] of newState) this.state.set(p, s);
      sd.paramGroups.forEach((saved, gi) => {
        const mine = this.paramGroups[gi];
        const params = mine.params;
        for (const k of Object.keys(mine)) delete (mine as Record<string, unknown>)[k];
        Object.assign(mine, copyOptions(saved), { params });
      });
    });
  }

  /** torch's repr: each group's options, sorted by name. */
  toString(): string {
    const lines = [`${this.name} (`];
    this.paramGroups.forEach((g, i) => {
      lines.push(`Parameter Group ${i}`);
      for (const k of Object.keys(g).filter((k) => k !== "params").sort()) lines.push(`    ${k}: ${describe(g[k])}`);
    });
    lines.push(")");
    return lines.join("\n");
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** Options without `params`, arrays copied (so a saved group does not share `betas` with a live one). */
function copyOptions(g: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(g)) if (k !== "params") out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

/** A new tensor with p's dtype and device holding src's values. */
function copyLike(src: Tensor, p: Tensor): Tensor {
  const onDevice = src.device === p.device ? src : to(src, p.device);
  const out = empty(p.shape, p.dtype, p.backend);
  copy_(out, onDevice);
  return out;
}

// Graph capture (nb.compile) records step and zeroGrad as effects and calls them again, eagerly, on
// replay: their in-place updates are not graph ops yet.
Optimizer.prototype.step = effectful("optimizer.step", Optimizer.prototype.step);
Optimizer.prototype.zeroGrad = effectful("optimizer.zeroGrad", Optimizer.prototype.zeroGrad);
