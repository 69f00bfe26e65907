// A node's attributes by name, with typed getters and ONNX's defaults.

import type { AttributeProto, GraphProto, TensorProto } from "../onnx-proto.js";

export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();
  constructor(list: readonly AttributeProto[] | undefined) {
    for (const a of list ?? []) this.byName.set(a.name ?? "", a);
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  int(name: string, dflt: number): number {
    const a = this.byName.get(name);
    return a && a.i !== undefined ? Number(a.i) : dflt;
  }
  float(name: string, dflt: number): number {
    const a = this.byName.get(name);
    return a && a.f !== undefined ? a.f : dflt;
  }
  ints(name: string): number[] | null {
    const a = this.byName.get(name);
    return a ? (a.ints ?? []).map(Number) : null;
  }
  floats(name: string): number[] | null {
    const a = this.byName.get(name);
    return a ? [...(a.floats ?? [])] : null;
  }
  string(name: string, dflt: string): string {
    const a = this.byName.get(name);
    return a && a.s ? new TextDecoder().decode(a.s) : dflt;
  }
  strings(name: string): string[] | null {
    const a = this.byName.get(name);
    return a ? (a.strings ?? []).map((s) => new TextDecoder().decode(s)) : null;
  }
  tensor(name: string): TensorProto | null {
    return this.byName.get(name)?.t ?? null;
  }
  graph(name: string): GraphProto | null {
    return this.byName.get(name)?.g ?? null;
  }
}
