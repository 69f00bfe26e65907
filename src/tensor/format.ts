// PyTorch-like printing: tensor([[1., 2.], [3., 4.]], requiresGrad=true).

import type { Tensor } from "./tensor.js";

const MAX_ELEMENTS = 1000;
const EDGE = 3;

export function formatTensor(t: Tensor): string {
  if (t.isDisposed) return `tensor(<disposed>, shape=[${t.shape.join(", ")}])`;
  const extras: string[] = [];
  if (t.dtype !== "float32") extras.push(`dtype=${t.dtype}`);
  // Host-memory backends (cpu, native) print like torch CPU tensors; device backends name themselves.
  if (!t.backend.gcManaged) extras.push(`device=${t.device}`);
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push("requiresGrad=true");
  let body: string;
  if (!t.backend.syncReadable) body = `<${t.numel()} elements on ${t.device}>`;
  else {
    const data = t.dataSync();
    const summarize = data.length > MAX_ELEMENTS;
    const fmt = (v: number): string => {
      if (t.dtype === "bool") return v ? "true" : "false";
      if (t.dtype === "int32") return String(v);
      if (Number.isInteger(v) && Math.abs(v) < 1e8) return `${v}.`;
      return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-4 && v !== 0) ? v.toExponential(4) : Number(v.toPrecision(5)).toString();
    };
    const rec = (dim: number, start: number, indent: string): string => {
      if (t.ndim === 0) return fmt(data[0]);
      const n = t.shape[dim];
      let step = 1;
      for (let i = dim + 1; i < t.ndim; i++) step *= t.shape[i];
      const idx: (number | null)[] = summarize && n > 2 * EDGE
        ? [...Array.from({ length: EDGE }, (_, i) => i), null, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)]
        : Array.from({ length: n }, (_, i) => i);
      if (dim === t.ndim - 1) return `[${idx.map((i) => (i === null ? "..." : fmt(data[start + i]))).join(", ")}]`;
      const sep = ",\n" + "\n".repeat(Math.max(0, t.ndim - dim - 2)) + indent + " ";
      return `[${idx.map((i) => (i === null ? "..." : rec(dim + 1, start + i * step, indent + " "))).join(sep)}]`;
    };
    body = rec(0, 0, "       ");
  }
  return `tensor(${body}${extras.length ? ", " + extras.join(", ") : ""})`;
}
