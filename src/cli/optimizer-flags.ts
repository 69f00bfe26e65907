// The optimizer flags `nabla train` and `nabla transfer` share (--optimizer, --lr, --momentum,
// --weight-decay), declared once, and the optimizer they make through nb.optim's registry. A
// flag left out is not passed on: the optimizer keeps its own (torch) default, except the CLI
// defaults declared in CLI_OPTIMIZER_DEFAULTS below (and printed by --help).

import type { Command } from "commander";
import * as registry from "../optim/registry.js";
import type { Optimizer } from "../optim/optimizer.js";
import { UsageError, parseNumber, didYouMean } from "./usage-error.js";

/**
 * Where the command line departs from torch's defaults. SGD: torch's lr 1e-3 without momentum
 * barely moves in the few epochs of a command-line run; 0.01 is Keras' default.
 */
export const CLI_OPTIMIZER_DEFAULTS: Readonly<Partial<Record<registry.OptimizerName, { lr?: number }>>> = { sgd: { lr: 0.01 } };

export const DEFAULT_OPTIMIZER = "adam";

export interface OptimizerArgs {
  optimizer: string;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
}

/** The learning rate an optimizer starts at on the command line without --lr. */
export function cliDefaultLr(name: registry.OptimizerName): number {
  return CLI_OPTIMIZER_DEFAULTS[name]?.lr ?? (registry.defaults(name).lr as number);
}

const withOption = (option: string): string[] => registry.names().filter((n) => registry.hasOption(n, option));

function lrHelp(): string {
  const list = registry.names().map((n) => `${n} ${cliDefaultLr(n)}`).join(", ");
  return `learning rate (default: ${list}; torch's defaults, except sgd: Keras' 0.01)`;
}

function weightDecayHelp(): string {
  const nonzero = registry.names().filter((n) => registry.defaults(n).weightDecay !== 0);
  return `weight decay (default: the optimizer's own, 0${nonzero.map((n) => `, ${n} ${registry.defaults(n).weightDecay}`).join("")}; 0 turns it off)`;
}

/** Add --optimizer, --lr, --momentum and --weight-decay to a command. */
export function addOptimizerFlags(cmd: Command): Command {
  const num = (flag: string, check: Parameters<typeof parseNumber>[2]) => (v: string) => parseNumber(flag, v, check);
  return cmd
    .option("--optimizer <name>", registry.names().join(", "), DEFAULT_OPTIMIZER)
    .option("--lr <x>", lrHelp(), num("--lr", { min: 0, exclusiveMin: true }))
    .option("--momentum <x>", `momentum of ${withOption("momentum").join(" and ")} (default 0)`, num("--momentum", { min: 0, max: 1 }))
    .option("--weight-decay <x>", weightDecayHelp(), num("--weight-decay", { min: 0 }));
}

/** The registry's name for --optimizer, or a usage error with a did-you-mean. */
export function optimizerName(value: string): registry.OptimizerName {
  try {
    return registry.resolveName(value);
  } catch {
    throw new UsageError(`unknown --optimizer "${value}"${didYouMean(value, registry.names())}; choose one of ${registry.names().join(", ")}`);
  }
}

/** The options the flags give the optimizer: only those set, plus the CLI defaults. */
export function optimizerOptions(a: OptimizerArgs): { name: registry.OptimizerName; options: Record<string, number> } {
  const name = optimizerName(a.optimizer);
  if (a.momentum !== undefined && !registry.hasOption(name, "momentum")) {
    throw new UsageError(`--momentum: ${name} has no momentum (${withOption("momentum").join(" and ")} have); leave it out or pick one of those`);
  }
  const options: Record<string, number> = {};
  const lr = a.lr ?? CLI_OPTIMIZER_DEFAULTS[name]?.lr;
  if (lr !== undefined) options.lr = lr;
  if (a.momentum !== undefined) options.momentum = a.momentum;
  if (a.weightDecay !== undefined) options.weightDecay = a.weightDecay;
  return { name, options };
}

/** "Adam, lr 0.001" or "SGD, lr 0.01, momentum 0.9, weight decay 0.0001" for the log. */
export function describeOptimizer(opt: Optimizer): string {
  const g = opt.paramGroups[0] as unknown as Record<string, unknown>;
  const parts = [`${opt.name}, lr ${g.lr}`];
  if (typeof g.momentum === "number" && g.momentum !== 0) parts.push(`momentum ${g.momentum}`);
  if (typeof g.weightDecay === "number" && g.weightDecay !== 0) parts.push(`weight decay ${g.weightDecay}`);
  return parts.join(", ");
}
