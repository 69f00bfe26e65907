// nb.ensemble: unknown option names are errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

test("Ensemble and bagging: unknown options are errors", async () => {
  const members = [new nb.nn.Linear(2, 2), new nb.nn.Linear(2, 2)];
  // @ts-expect-error scikit-learn's VotingClassifier(voting=...)
  assertThrowsMatching(() => new nb.ensemble.Ensemble(members, { voting: "hard" }), /^Ensemble: unknown option "voting" \(use vote\); the options are vote, outputs$/);
  const e = new nb.ensemble.Ensemble(members, { vote: "hard" });
  const x = nb.randn([4, 2]);
  // @ts-expect-error
  assertThrowsMatching(() => e.predict(x, { batch: 2 }), /^Ensemble\.predict: unknown option "batch"; the options are batchSize, vote$/);
  assert.deepEqual(e.predict(x, { batchSize: 2, vote: "soft" }).shape, [4]);
  // @ts-expect-error vote is predict's, not predictProba's
  assertThrowsMatching(() => e.predictProba(x, { vote: "soft" }), /^Ensemble\.predictProba: unknown option "vote"; the options are batchSize$/);
  const data = { x, y: nb.tensor([0, 1, 0, 1], { dtype: "int32" }) };
  // @ts-expect-error
  await assert.rejects(e.evaluate(data, { metric: ["accuracy"] }), /^TypeError: Ensemble\.evaluate: unknown option "metric" \(did you mean "metrics"\?\)/);
  const fitOptions = { epochs: 1, loss: "crossEntropy" as const, optimizer: (m: nb.nn.Module) => new nb.optim.SGD(m.parameters(), { lr: 0.1 }) };
  // @ts-expect-error scikit-learn's n_estimators
  await assert.rejects(nb.ensemble.bagging(() => new nb.nn.Linear(2, 2), data, { n_estimators: 3, n: 3, fitOptions }), /^TypeError: bagging: unknown option "n_estimators" \(use n\)/);
  // @ts-expect-error
  await assert.rejects(nb.ensemble.bagging(() => new nb.nn.Linear(2, 2), data, { n: 2, fitOptions: { ...fitOptions, epoch: 1 } }), /^TypeError: bagging: fitOptions: unknown option "epoch" \(did you mean "epochs"\?\)/);
});
