// nb.transfer: unknown option names are errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

const T = nb.transfer;

test("transfer functions: unknown options are errors", () => {
  const model = nb.models.lenet5();
  // @ts-expect-error
  assertThrowsMatching(() => T.freeze(model, { up_to: "features" }), /^freeze: unknown option "up_to" \(did you mean "upTo"\?\); the options are strategy, base, upTo, except, head, batchNorm$/);
  // @ts-expect-error
  assertThrowsMatching(() => T.unfreeze(model, { layers: 2 }), /^unfreeze: unknown option "layers"; the options are only, head, batchNorm$/);
  // @ts-expect-error
  assertThrowsMatching(() => T.baseLayers(model, { heads: "classifier" }), /^baseLayers: unknown option "heads" \(did you mean "head"\?\)/);
  // @ts-expect-error
  assertThrowsMatching(() => T.freezeState(model, { hed: "classifier" }), /^freezeState: unknown option "hed" \(did you mean "head"\?\)/);
  // @ts-expect-error
  assertThrowsMatching(() => T.replaceHead(model, 3, { hiden: [8] }), /^replaceHead: unknown option "hiden" \(did you mean "hidden"\?\); the options are head, hidden, dropout$/);
  // @ts-expect-error
  assertThrowsMatching(() => T.fineTune(model, { baseLr: 1e-4, lr: 1e-3 }), /^fineTune: unknown option "lr" \(use baseLr \(and headLr\)\)/);
  // @ts-expect-error
  assertThrowsMatching(() => T.featureExtractor(model, { flaten: false }), /^featureExtractor: unknown option "flaten" \(did you mean "flatten"\?\); the options are layer, head, flatten$/);
  const data = { x: nb.rand([4, 1, 28, 28]), y: nb.tensor([0, 1, 0, 1], { dtype: "int32" }) };
  // @ts-expect-error
  assertThrowsMatching(() => T.extractFeatures(model, data, { batch_size: 2 }), /^extractFeatures: unknown option "batch_size" \(did you mean "batchSize"\?\)/);
  assert.deepEqual(T.extractFeatures(model, data, { batchSize: 2, flatten: true }).x.shape, [4, 84]);
  // @ts-expect-error torch's load_state_dict(strict=False)
  assertThrowsMatching(() => T.loadPretrained(model, model.stateDict(), { strict: false }), /^loadPretrained: unknown option "strict" \(use includeHead/);
  const ds = new nb.data.TensorDataset(data.x, data.y);
  // @ts-expect-error
  assertThrowsMatching(() => T.selectClasses(ds, [0], { max: 1 }), /^selectClasses: unknown option "max"; the options are limit$/);
});
