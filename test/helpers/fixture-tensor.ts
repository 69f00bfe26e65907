// Tensors as the fixture scripts (scripts/fixtures/*.py) write them: float32 values as base64
// little-endian bytes (exact), or a plain number list with its dtype.

import * as nb from "../../src/index.js";

export interface Enc {
  shape: number[];
  dtype: "float32" | "int32";
  data?: number[];
  b64?: string;
}

export function decodeFixture(e: Enc, opts: { device?: string; requiresGrad?: boolean } = {}): nb.Tensor {
  if (e.b64 !== undefined) {
    const bytes = Buffer.from(e.b64, "base64");
    const values = new Float32Array(bytes.length / 4);
    for (let i = 0; i < values.length; i++) values[i] = bytes.readFloatLE(i * 4);
    return nb.tensor(values, { shape: e.shape, device: opts.device, requiresGrad: opts.requiresGrad });
  }
  return nb.tensor(Float64Array.from(e.data!), { shape: e.shape, dtype: e.dtype, device: opts.device, requiresGrad: opts.requiresGrad });
}
