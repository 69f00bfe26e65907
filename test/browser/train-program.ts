// One small training run, written once and run twice by train-in-chromium.test.ts: in Node (the
// Node build on its cpu backend) and in Chromium (the browser bundle). It gets `nb` as an argument,
// so the page runs exactly this code against the bundle it loaded.

import type * as Nabla from "../../src/index.browser.js";

export interface ProgramResult {
  backend: string;
  /** Losses of 5 SGD (momentum) steps of a small CNN on seeded random data. */
  sgdLosses: number[];
  /** nb.fit's per-epoch loss and accuracy (Adam, shuffled batches, validation split). */
  fitLoss: number[];
  fitValAccuracy: number[];
  /** Logits after saving the weights to safetensors bytes and loading them (nb.load(bytes)) into a fresh model. */
  reloadedLogits: number[];
  logits: number[];
}

function cnn(nb: typeof Nabla): InstanceType<typeof Nabla.nn.Sequential> {
  const { nn } = nb;
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(4, 8, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(8 * 2 * 2, 3),
  );
}

export async function trainProgram(nb: typeof Nabla): Promise<ProgramResult> {
  nb.manualSeed(7);
  const model = cnn(nb);
  const x = nb.randn([24, 1, 8, 8]);
  const y = nb.randint(0, 3, [24]);
  const lossFn = new nb.nn.CrossEntropyLoss();
  const sgd = new nb.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const sgdLosses: number[] = [];
  for (let step = 0; step < 5; step++) {
    sgd.zeroGrad();
    const loss = lossFn.forward(model.forward(x.narrow(0, 0, 8)), y.narrow(0, 0, 8));
    loss.backward();
    sgd.step();
    sgdLosses.push(loss.item());
  }
  const history = await nb.fit(model, {
    train: { x, y }, validationSplit: 0.25, epochs: 2, batchSize: 6, seed: 3,
    optimizer: new nb.optim.Adam(model.parameters(), { lr: 1e-2 }), loss: "crossEntropy", metrics: ["accuracy"], verbose: 2,
  });
  model.eval();
  const probe = x.narrow(0, 0, 2);
  const logits = [...nb.noGrad(() => model.forward(probe)).dataSync()];
  const bytes = nb.safetensors.serializeSafetensors(model.stateDict());
  const fresh = cnn(nb);
  fresh.loadStateDict(await nb.load(bytes));
  fresh.eval();
  const reloadedLogits = [...nb.noGrad(() => fresh.forward(probe)).dataSync()];
  return { backend: nb.getBackend(), sgdLosses, fitLoss: history.loss, fitValAccuracy: history.val_accuracy, reloadedLogits, logits };
}
