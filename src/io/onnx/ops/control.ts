// If and Loop: their subgraphs run when the node runs (the condition and trip count are read on
// the host), seeing every value of the enclosing graph by name, as ONNX scoping says.

import type { Tensor } from "../../../tensor/tensor.js";
import { intTensor } from "./host.js";
import { tensor } from "../../../tensor/creation.js";
import { stack } from "../../../ops/indexing.js";
import { UnsupportedOnnx, type OpHandler } from "./registry.js";

export const CONTROL_OPS: Record<string, OpHandler> = {
  If: {
    check: (a) => {
      if (!a.graph("then_branch") || !a.graph("else_branch")) throw new UnsupportedOnnx("If without then_branch and else_branch");
    },
    run: ([cond], a, ctx) => ctx.runSubgraph(cond!.item() ? a.graph("then_branch")! : a.graph("else_branch")!, new Map()),
  },
  Loop: {
    check: (a) => {
      if (!a.graph("body")) throw new UnsupportedOnnx("Loop without a body");
    },
    run: ([maxTrip, cond, ...initial], a, ctx) => {
      const body = a.graph("body")!;
      const names = (body.input ?? []).map((v) => v.name ?? "");
      const carriedCount = initial.length;
      let carried = initial as Tensor[];
      const scans: Tensor[][] = [];
      const limit = maxTrip ? maxTrip.item() : Infinity;
      let keepGoing = cond ? cond.item() !== 0 : true;
      if (!maxTrip && !cond) throw new UnsupportedOnnx("Loop with neither a trip count nor a condition (it would never end)");
      for (let i = 0; i < limit && keepGoing; i++) {
        const env = new Map<string, Tensor>();
        env.set(names[0], intTensor([i], []));
        env.set(names[1], tensor(Uint8Array.of(keepGoing ? 1 : 0), { shape: [], dtype: "bool" }));
        carried.forEach((t, k) => env.set(names[2 + k], t));
        const outs = ctx.runSubgraph(body, env);
        keepGoing = outs[0].item() !== 0;
        carried = outs.slice(1, 1 + carriedCount);
        outs.slice(1 + carriedCount).forEach((t, k) => (scans[k] ??= []).push(t));
      }
      const scanCount = (body.output?.length ?? 1) - 1 - carriedCount;
      const scanOuts = Array.from({ length: scanCount }, (_, k) => {
        if (!scans[k] || scans[k].length === 0) throw new UnsupportedOnnx("Loop that ran zero iterations with scan outputs");
        return stack(scans[k], 0);
      });
      return [...carried, ...scanOuts];
    },
  },
};
