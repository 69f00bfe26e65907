// nb.optim.create / names: the one optimizer-by-name table (issue 13, item 6) that the CLI and
// nb.tune share. Only what the caller gives is passed; everything else is torch's default.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { optimizerByName } from "../../src/tune/optimizer-by-name.js";

const params = () => new nb.nn.Linear(3, 2).parameters();

test("names() lists the Keras names; create() accepts them in any case", () => {
  assert.deepEqual(nb.optim.names(), ["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "nadam"]);
  const classes = { sgd: nb.optim.SGD, adam: nb.optim.Adam, adamw: nb.optim.AdamW, rmsprop: nb.optim.RMSprop, adagrad: nb.optim.Adagrad, adadelta: nb.optim.Adadelta, nadam: nb.optim.NAdam };
  for (const [name, cls] of Object.entries(classes)) {
    assert.ok(nb.optim.create(name, params()) instanceof cls, name);
    assert.ok(nb.optim.create(name.toUpperCase(), params()) instanceof cls, name.toUpperCase());
  }
  assert.ok(nb.optim.create("RMSprop", params()) instanceof nb.optim.RMSprop);
  assert.ok(nb.optim.create("AdamW", new nb.nn.Linear(2, 2)) instanceof nb.optim.AdamW, "a Module stands for its parameters");
});

test("left-out options are torch's defaults: RMSprop lr 1e-2, SGD momentum 0, AdamW weight decay 1e-2", () => {
  const g = (name: string, o?: Record<string, unknown>) => nb.optim.create(name, params(), o).paramGroups[0] as unknown as Record<string, unknown>;
  assert.equal(g("rmsprop").lr, 1e-2);
  assert.equal(g("rmsprop").momentum, 0);
  assert.equal(g("sgd").momentum, 0);
  assert.equal(g("sgd").lr, 1e-3);
  assert.equal(g("adam").lr, 1e-3);
  assert.equal(g("adamw").weightDecay, 1e-2);
  assert.equal(g("nadam").lr, 2e-3);
  assert.equal(g("adadelta").lr, 1);
  // Undefined means "not given", never "zero".
  assert.equal(g("adamw", { weightDecay: undefined }).weightDecay, 1e-2);
  assert.deepEqual(nb.optim.defaults("RMSprop"), new nb.optim.RMSprop(params()).defaults);
});

test("weightDecay 0 really switches AdamW's decay off", () => {
  assert.equal(nb.optim.create("adamw", params(), { weightDecay: 0 }).paramGroups[0].weightDecay, 0);
  const p = nb.tensor([1, 2], { requiresGrad: true });
  const opt = nb.optim.create("adamw", [p], { weightDecay: 0, lr: 0.1 });
  p.grad = nb.zeros([2]);
  opt.step();
  assert.deepEqual(Array.from(p.dataSync()), [1, 2], "zero gradient and no decay: the weights do not move");
});

test("Keras' spellings of options are accepted; an option the optimizer lacks is an error", () => {
  assert.equal(nb.optim.create("adam", params(), { learning_rate: 0.05 }).paramGroups[0].lr, 0.05);
  assert.equal(nb.optim.create("sgd", params(), { weight_decay: 0.1, momentum: 0.9 }).paramGroups[0].weightDecay, 0.1);
  assert.throws(() => nb.optim.create("adam", params(), { momentum: 0.9 }), /Adam: unknown option "momentum"/);
});

test("an unknown name is an error with a did-you-mean and the list", () => {
  assert.throws(() => nb.optim.create("adamm", params()), /^RangeError: nb\.optim\.create: unknown optimizer "adamm" \(did you mean "adam"\?\); the optimizers are sgd, adam, adamw, rmsprop, adagrad, adadelta, nadam$/);
  assert.throws(() => nb.optim.create("rmsporp", params()), /did you mean "rmsprop"\?/);
  assert.throws(() => nb.optim.create("lion", params()), /unknown optimizer "lion"; the optimizers are/);
  assert.equal(nb.optim.hasOption("sgd", "momentum"), true);
  assert.equal(nb.optim.hasOption("adam", "momentum"), false);
});

test("nb.tune builds its optimizers from the same registry", () => {
  const model = new nb.nn.Linear(3, 2);
  const g = (name: string, o = {}) => optimizerByName(name, model, o, "gridSearch").paramGroups[0] as unknown as Record<string, unknown>;
  assert.equal(g("rmsprop").lr, 1e-2, "RMSprop: torch's lr, as the CLI's");
  assert.equal(g("sgd").momentum, 0);
  assert.equal(g("adamw", { weightDecay: 0 }).weightDecay, 0);
  // A grid crossing optimizers with momentum: those without momentum ignore it.
  assert.equal(g("adam", { momentum: 0.9 }).lr, 1e-3);
  assert.equal(g("sgd", { momentum: 0.9 }).momentum, 0.9);
  assert.throws(() => optimizerByName("lion", model, {}, "gridSearch"), /^RangeError: gridSearch: unknown optimizer "lion"; .* \(in the trial's params\); or return \{ model, optimizer \} from build$/);
  assert.deepEqual([...nb.tune.OPTIMIZER_NAMES], nb.optim.names());
});
