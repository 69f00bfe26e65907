// Containers: Sequential (runs children in order), ModuleList and ModuleDict (hold children).

import { Module } from "./module.js";

/** Children named "0", "1", …: indexing, appending and iteration shared by Sequential and ModuleList. */
abstract class IndexedContainer extends Module {
  get length(): number {
    return this.children().length;
  }
  at(i: number): Module {
    const c = this.children();
    const m = c[i < 0 ? i + c.length : i];
    if (!m) throw new RangeError(`${this.constructor.name}: index ${i} is out of range for ${c.length} modules`);
    return m;
  }
  append(m: Module): this {
    if (!(m instanceof Module)) throw new TypeError(`${this.constructor.name}: append expects a Module`);
    this.addModule(String(this.children().length), m);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }
}

export class Sequential extends IndexedContainer {
  constructor(...layers: (Module | Record<string, Module>)[]) {
    super();
    // new Sequential({ conv: ..., relu: ... }) names the children; otherwise they are "0", "1", …
    if (layers.length === 1 && !(layers[0] instanceof Module)) {
      for (const [name, m] of Object.entries(layers[0])) this.addModule(name, m);
    } else {
      layers.forEach((m, i) => {
        if (!(m instanceof Module)) throw new TypeError(`Sequential: argument ${i} is not a Module`);
        this.addModule(String(i), m);
      });
    }
  }

  forward(x: unknown): any {
    let out = x;
    for (const layer of this.children()) out = layer.forward(out);
    return out;
  }
}

export class ModuleList extends IndexedContainer {
  constructor(modules: Module[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }
  forward(): never {
    throw new Error("ModuleList: has no forward; iterate over it and call its modules");
  }
}

export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }
  forward(): never {
    throw new Error("ModuleDict: has no forward; look modules up with get(name)");
  }
  get(name: string): Module | undefined {
    const v = (this as unknown as Record<string, unknown>)[name];
    return v instanceof Module ? v : undefined;
  }
  set(name: string, m: Module): this {
    if (name.startsWith("_") || name === "training") throw new RangeError(`ModuleDict: invalid key ${JSON.stringify(name)}`);
    this.addModule(name, m);
    return this;
  }
  keys(): string[] {
    return this.namedChildren().map(([k]) => k);
  }
}
