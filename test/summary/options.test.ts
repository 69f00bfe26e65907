// summary and explain: unknown option names are errors.

import { test } from "node:test";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

test("summary / explain: unknown options are errors", () => {
  const model = new nb.nn.Sequential(new nb.nn.Linear(4, 2));
  // @ts-expect-error Keras' print_fn / torchinfo's verbose are not options
  assertThrowsMatching(() => nb.summary(model, [1, 4], { verbose: 0 }), /^summary: unknown option "verbose"; the options are print, dtype$/);
  // @ts-expect-error
  assertThrowsMatching(() => nb.explain(model, [1, 4], { prnt: false }), /^explain: unknown option "prnt" \(did you mean "print"\?\)/);
  nb.summary(model, [1, 4], { print: false });
});
