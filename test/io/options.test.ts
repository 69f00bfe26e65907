// save / load / readIdx / parseSafetensors: unknown option names are errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";

test("io: unknown options are errors (torch.load's map_location is device)", async () => {
  const model = new nb.nn.Linear(2, 2);
  // @ts-expect-error
  await assert.rejects(nb.save(model, "/tmp/unused.safetensors", { metdata: {} }), /^TypeError: save: unknown option "metdata" \(did you mean "metadata"\?\); the options are metadata$/);
  // @ts-expect-error
  await assert.rejects(nb.load("/tmp/unused.safetensors", { map_location: "cpu" }), /^TypeError: load: unknown option "map_location" \(use device\); the options are device$/);
  // @ts-expect-error
  assert.throws(() => nb.io.readIdx("/tmp/unused.idx", { limits: 3 }), /^TypeError: readIdx: unknown option "limits" \(did you mean "limit"\?\)/);
  const bytes = nb.safetensors.serializeSafetensors(model.stateDict());
  // @ts-expect-error
  assert.throws(() => nb.safetensors.parseSafetensors(bytes, { file: "x" }), /^TypeError: parseSafetensors: unknown option "file"; the options are path, device$/);
  assert.equal(nb.safetensors.parseSafetensors(bytes, { path: "x" }).tensors.size, 2);
});
