// Resize (and opset 9's Upsample) through nabla's interpolate: nearest with floor rounding on
// asymmetric coordinates (torch's "nearest"), linear/cubic on half-pixel or align-corners
// coordinates. Other coordinate modes fail at import.

import type { Tensor } from "../../../tensor/tensor.js";
import { interpolate, type InterpolateMode } from "../../../ops/interpolate.js";
import type { Attributes } from "./attributes.js";
import { ints } from "./host.js";
import { UnsupportedOnnx, type OpHandler } from "./registry.js";

function plan(a: Attributes, opset: number): { mode: "nearest" | "linear" | "cubic"; alignCorners: boolean } {
  const mode = a.string("mode", "nearest") as "nearest" | "linear" | "cubic";
  const coord = a.string("coordinate_transformation_mode", opset >= 11 ? "half_pixel" : "asymmetric");
  if (mode === "nearest") {
    const rounding = a.string("nearest_mode", "round_prefer_floor");
    if (opset >= 11 && (coord !== "asymmetric" || rounding !== "floor")) {
      throw new UnsupportedOnnx(`Resize nearest with coordinate_transformation_mode "${coord}" and nearest_mode "${rounding}" (nabla's nearest is "asymmetric" with "floor")`);
    }
    return { mode, alignCorners: false };
  }
  if (mode !== "linear" && mode !== "cubic") throw new UnsupportedOnnx(`Resize mode "${mode}"`);
  if (mode === "cubic" && a.float("cubic_coeff_a", -0.75) !== -0.75) throw new UnsupportedOnnx("Resize cubic with cubic_coeff_a other than -0.75");
  if (!["half_pixel", "pytorch_half_pixel", "align_corners"].includes(coord)) throw new UnsupportedOnnx(`Resize ${mode} with coordinate_transformation_mode "${coord}"`);
  return { mode, alignCorners: coord === "align_corners" };
}

function resize(x: Tensor, a: Attributes, opset: number, scales: number[] | null, sizes: number[] | null): Tensor {
  const p = plan(a, opset);
  const nd = x.ndim - 2;
  const size = sizes ? sizes.slice(2) : x.shape.slice(2).map((s, i) => Math.floor(s * scales![i + 2]));
  if ((sizes && (sizes[0] !== x.shape[0] || sizes[1] !== x.shape[1])) || (scales && (scales[0] !== 1 || scales[1] !== 1))) {
    throw new UnsupportedOnnx("Resize of the batch or channel dim");
  }
  const mode: InterpolateMode = p.mode === "nearest" ? "nearest" : p.mode === "cubic" ? "bicubic" : (["linear", "bilinear", "trilinear"] as const)[nd - 1];
  return interpolate(x, { size, mode, ...(p.mode === "nearest" ? {} : { alignCorners: p.alignCorners }) });
}

export const RESIZE_OPS: Record<string, OpHandler> = {
  Resize: {
    check: (a, opset) => void plan(a, opset),
    run: ([x, roi, scales, sizes], a, ctx) => {
      if (ctx.opset < 11) return resize(x!, a, ctx.opset, Array.from(roi!.dataSync(), Number), null);
      const s = scales && scales.numel() > 0 ? Array.from(scales.dataSync(), Number) : null;
      const z = sizes && sizes.numel() > 0 ? ints(sizes, "Resize's sizes") : null;
      return resize(x!, a, ctx.opset, s, z);
    },
  },
  Upsample: {
    check: (a, opset) => void plan(a, opset),
    run: ([x, scales], a, ctx) => resize(x!, a, ctx.opset, scales ? Array.from(scales.dataSync(), Number) : a.floats("scales"), null),
  },
};
