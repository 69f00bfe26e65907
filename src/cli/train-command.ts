// `nabla train`: the course's whole workflow from the command line — load a dataset, build a
// model, train with validation, early stopping, a schedule and augmentation, write the best
// weights, the history and the learning curves, then report test accuracy, per-class
// precision/recall/F1 and a diagnosis of the curves.

import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { manualSeed } from "../tensor/random.js";
import { tensor } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import { setBackend, getBackend } from "../backend/registry.js";
import { DataLoader } from "../data/dataloader.js";
import { type Dataset, Subset } from "../data/dataset.js";
import * as optim from "../optim/index.js";
import { fit, type History } from "../train/fit.js";
import { predict } from "../train/evaluate.js";
import { diagnose } from "../train/diagnose.js";
import * as callbacks from "../train/callbacks/index.js";
import { classificationReport } from "../metrics/index.js";
import { save, load } from "../io/save-load.js";
import { Compose } from "../transforms/compose.js";
import { RandomAffine } from "../transforms/affine.js";
import { RandomCrop } from "../transforms/random-crop.js";
import { RandomHorizontalFlip } from "../transforms/flip.js";
import { writeLearningCurves } from "../viz/learning-curves.js";
import { writeFirstConvPictures } from "../viz/layer-pictures.js";
import { buildModel, checkModelDataset, checkModelOptions, loadDataset, modelTask } from "./registry.js";
import { oneOf, UsageError } from "./usage-error.js";
import { sampler, samplingSettings, type SamplingArgs } from "./language-model.js";
import { charLstmLoss } from "../models/char-lstm.js";
import type { TextDataset } from "../datasets/text.js";
import { describeOptimizer, optimizerOptions, type OptimizerArgs } from "./optimizer-flags.js";
import { startLiveDashboard, type LiveDashboard } from "../dashboard/live-dashboard.js";
import { RunCheckpoint, checkpointPath, removeStaleTemporaries, trimCsvRows } from "./run-folder.js";
import { TrainingInterrupted, watchInterrupts } from "./interrupts.js";
import { destroyProcessGroup, getRank, initProcessGroup } from "../distributed/process-group.js";
import { DistributedDataParallel } from "../nn/parallel/distributed-data-parallel.js";

export interface TrainArgs extends OptimizerArgs {
  model: string;
  dataset: string;
  root?: string;
  epochs: number;
  batchSize: number;
  schedule: string;
  dropout?: number;
  augment: boolean;
  validationSplit: number;
  patience?: number;
  seed: number;
  device?: string;
  out?: string;
  /** Also write TensorBoard event files into <out>/tensorboard. */
  tensorboard?: boolean;
  /** Serve a live dashboard of the run on 127.0.0.1 at this port (0: any free port); it stops when the command ends. */
  dashboard?: number;
  /** Keep the dashboard serving after training (until the process is stopped). */
  dashboardKeep?: boolean;
  /** More callbacks for nb.fit, after the command's own (for programs that drive trainCommand). */
  callbacks?: callbacks.Callback[];
  /** Read only the first `limit` training images (validation is held out of these). */
  limit?: number;
  /** Evaluate on only the first `testLimit` test images (default all). */
  testLimit?: number;
  /** --dataset text: characters per training sequence (default 100). */
  seqLength?: number;
  /** Language models: how to sample text after each epoch. */
  sampling?: SamplingArgs;
  /** With out: also checkpoint every this many steps (besides every epoch's end). */
  checkpointEvery?: number;
  /** Continue the run in `out` from its checkpoint (`nabla train --resume DIR`; the caller restores the other options). */
  resume?: boolean;
  /** Run each training step through nb.compile (nb.fit's compile option). */
  compile?: boolean;
  /** Stop cleanly on Ctrl-C / SIGTERM (checkpoint, then TrainingInterrupted); default true. */
  handleSignals?: boolean;
  /**
   * This process is one rank of `nabla train --nproc N`: join the process group (torchrun's
   * variables), train a DistributedDataParallel model; ranks other than 0 print nothing and write no --out.
   */
  distributed?: boolean;
  verbose: 0 | 1 | 2;
}

const SCHEDULES = ["none", "step", "cosine", "plateau", "onecycle"] as const;

function scheduleCallback(name: string, opt: optim.Optimizer, epochs: number): callbacks.Callback[] {
  switch (oneOf("--schedule", name, SCHEDULES)) {
    case "none": return [];
    case "step": return [new callbacks.LearningRateScheduler(new optim.lrScheduler.StepLR(opt, { stepSize: Math.max(1, Math.floor(epochs / 3)), gamma: 0.1 }))];
    case "cosine": return [new callbacks.LearningRateScheduler(new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: epochs }))];
    case "plateau": return [new callbacks.ReduceLROnPlateau({ patience: 1, factor: 0.5 })];
    case "onecycle": return [new callbacks.LearningRateScheduler(new optim.lrScheduler.OneCycleLR(opt, { maxLr: opt.paramGroups[0].lr * 10, totalSteps: epochs }))];
  }
}

function augmentation(channels: number): (x: Tensor) => Tensor {
  // Digits and clothes must not be mirrored; small rotations and shifts keep them valid.
  if (channels === 1) return new Compose([new RandomAffine({ degrees: 10, translate: [0.1, 0.1], scale: [0.9, 1.1] })]).fn;
  return new Compose([new RandomCrop(32, { padding: 4 }), new RandomHorizontalFlip()]).fn;
}

export async function trainCommand(a: TrainArgs, log: (line: string) => void = console.log): Promise<{ history: History; testAccuracy: number | null }> {
  // The dashboard's server stops with the run, also when training fails (else it would keep the process alive).
  const dashboard: { live: LiveDashboard | null } = { live: null };
  let joined = false;
  try {
    if (a.distributed) {
      if (a.resume || a.dashboard !== undefined) throw new UsageError("--nproc: not with --resume or --dashboard yet");
      await initProcessGroup();
      joined = true;
      // Only rank 0 prints and writes the run folder.
      if (getRank() !== 0) {
        a = { ...a, out: undefined, tensorboard: false, verbose: 0 };
        log = () => {};
      }
    }
    return await train(a, log, dashboard);
  } finally {
    if (joined) await destroyProcessGroup();
    if (dashboard.live && !a.dashboardKeep) await dashboard.live.server.close();
    else if (dashboard.live) log(`dashboard: still serving ${dashboard.live.server.url} (--dashboard-keep); Ctrl-C stops it`);
  }
}

async function train(a: TrainArgs, log: (line: string) => void, dashboard: { live: LiveDashboard | null }): Promise<{ history: History; testAccuracy: number | null }> {
  // Every flag is checked before the data is read.
  const { name: optimizerName, options: optimizerFlags } = optimizerOptions(a);
  checkModelOptions(a.model, { dropout: a.dropout });
  checkModelDataset(a.model, a.dataset);
  const languageModel = modelTask(a.model) === "language-model";
  if (!languageModel) {
    const given = [a.seqLength !== undefined && "--seq-length", a.sampling?.temperatures && "--temperature", a.sampling?.sampleLength !== undefined && "--sample-length", a.sampling?.prime !== undefined && "--prime"].filter(Boolean);
    if (given.length) throw new UsageError(`${given.join(", ")}: only for a language model (--model char-lstm --dataset text)`);
  } else if (a.augment) {
    throw new UsageError("--augment: transforms images; a text dataset has none");
  }
  oneOf("--schedule", a.schedule, SCHEDULES);
  if (a.dashboardKeep && a.dashboard === undefined) throw new UsageError("--dashboard-keep: keeps the --dashboard server open after training; give --dashboard too");
  if (a.tensorboard && !a.out) throw new UsageError("--tensorboard: needs --out <dir>; the event files go into <dir>/tensorboard");
  if (a.checkpointEvery !== undefined && !a.out) throw new UsageError("--checkpoint-every: needs --out <dir>; the checkpoint goes into <dir>/checkpoint.safetensors");
  if (a.device) setBackend(a.device);
  manualSeed(a.seed);
  const data = loadDataset(a.dataset, a.root, { train: a.limit, test: a.testLimit, seqLength: a.seqLength });
  const sampling = languageModel ? samplingSettings(a.sampling ?? {}, data.train as TextDataset) : null;
  const model = buildModel(a.model, { numClasses: data.classes.length, inChannels: data.channels, dropout: a.dropout });
  const optimizer = optim.create(optimizerName, model.parameters(), optimizerFlags);
  // A rank of --nproc: rank 0's initial weights everywhere; nb.fit shards the data and averages the gradients.
  const trained = a.distributed ? await DistributedDataParallel.create(model) : model;

  // Hold out the last fraction of the training set for validation (Keras' validation_split).
  const n = data.train.length;
  const nVal = a.validationSplit > 0 ? Math.max(1, Math.floor(n * a.validationSplit)) : 0;
  const all = Array.from({ length: n }, (_, i) => i);
  const trainSet: Dataset = nVal ? new Subset(data.train, all.slice(0, n - nVal)) : data.train;
  const valSet: Dataset | undefined = nVal ? new Subset(data.train, all.slice(n - nVal)) : undefined;
  const trainLoader = new DataLoader(trainSet, {
    batchSize: a.batchSize, shuffle: true, seed: a.seed, batchTransform: a.augment ? augmentation(data.channels) : undefined,
  });

  const cbs: callbacks.Callback[] = [...scheduleCallback(a.schedule, optimizer, a.epochs)];
  if (a.out) mkdirSync(a.out, { recursive: true });
  // A run folder's checkpoint belongs to the run that wrote it: a fresh run starts without one.
  const checkpoint = a.out ? checkpointPath(a.out) : null;
  const resumeFrom = a.resume && checkpoint && existsSync(checkpoint) ? checkpoint : undefined;
  if (a.resume && !resumeFrom) log(`nabla train: no checkpoint in ${a.out} yet; the run starts from its beginning`);
  if (checkpoint && !a.resume) rmSync(checkpoint, { force: true });
  if (a.resume && a.out) removeStaleTemporaries(a.out);
  const textSampler = sampling ? sampler(model, data.train as TextDataset, sampling, a.out, log) : null;
  if (textSampler) cbs.push(textSampler.callback);
  const monitor = valSet ? "val_loss" : "loss";
  if (a.patience !== undefined) cbs.push(new callbacks.EarlyStopping({ monitor, patience: a.patience, restoreBestWeights: true }));
  const bestPath = a.out ? join(a.out, "best.safetensors") : null;
  if (a.out) {
    cbs.push(new callbacks.ModelCheckpoint({ path: bestPath!, monitor, saveBestOnly: true, weightsOnly: true }));
    const csv = join(a.out, "history.csv");
    // A run killed between its log row and its checkpoint logged an epoch that will run again.
    cbs.push({ onTrainBegin: (_logs, ctx) => trimCsvRows(csv, ctx.initialEpoch) });
    cbs.push(new callbacks.CSVLogger(csv));
    if (a.tensorboard) cbs.push(new callbacks.TensorBoard({ logDir: join(a.out, "tensorboard"), histogramFreq: 1 }));
  }

  if (a.dashboard !== undefined) {
    dashboard.live = await startLiveDashboard({
      port: a.dashboard, dir: a.out, augmented: a.augment,
      info: { model: a.model, dataset: a.dataset, optimizer: describeOptimizer(optimizer), batch: a.batchSize, backend: getBackend() },
    });
    cbs.push(dashboard.live.callback);
    log(`dashboard: ${dashboard.live.server.url} (live while training; ${a.dashboardKeep ? "kept open afterwards" : "stops when the run ends, --dashboard-keep keeps it open"})`);
  }
  cbs.push(...(a.callbacks ?? []));
  if (resumeFrom) {
    cbs.push({
      onTrainBegin: (_logs, ctx) => log(`resuming ${a.out} from ${resumeFrom}: epoch ${ctx.initialEpoch + 1} of ${a.epochs}${ctx.position ? `, from its batch ${ctx.position.batch + 1}` : ""}`),
    });
  }
  // Last: a NaN step is never checkpointed, and the epoch's checkpoint holds every callback's state.
  cbs.push(new callbacks.TerminateOnNaN());
  const resumeCommand = `nabla train --resume ${a.out}`;
  const interrupts = watchInterrupts((signal) => {
    process.stderr.write(`\nnabla: ${signal}: finishing the current step${a.out ? ", then writing a checkpoint" : ""} (${signal === "SIGINT" ? "Ctrl-C" : "SIGTERM"} again stops at once)\n`);
  }, a.out ? resumeCommand : undefined);
  if (a.handleSignals === false) interrupts.dispose();
  cbs.push(new RunCheckpoint({ dir: a.out ?? null, every: a.checkpointEvery, interrupts, resumeCommand }));

  const what = languageModel
    ? `${trainSet.length} training, ${valSet?.length ?? 0} validation sequences of ${(data.train as TextDataset).seqLength} characters, vocabulary of ${data.classes.length}`
    : `${trainSet.length} training, ${valSet?.length ?? 0} validation, ${data.test?.length ?? 0} test images`;
  log(`nabla train: ${a.model} on ${a.dataset} (${what}), ${describeOptimizer(optimizer)}, batch ${a.batchSize}, backend ${getBackend()}`);
  const started = performance.now();
  // A language model's logits are [N, T, V] against targets [N, T]: charLstmLoss flattens both
  // (torch's crossEntropy wants the classes on dim 1); there are no labels to count accuracy on.
  let history: History;
  try {
    history = await fit(trained, {
      train: trainLoader, validation: valSet, epochs: a.epochs, batchSize: a.batchSize, optimizer, resumeFrom, seed: a.seed,
      loss: languageModel ? charLstmLoss : "crossEntropy", metrics: languageModel ? [] : ["accuracy"], callbacks: cbs, verbose: a.verbose,
      compile: a.compile,
    });
  } finally {
    interrupts.dispose();
  }
  // A signal during the last epoch's end: the checkpoint of that epoch is already written.
  if (interrupts.signal) {
    const saved = a.out ? `checkpoint written to ${checkpoint}; finish the run with: ${resumeCommand}` : "nothing was saved (no --out)";
    throw new TrainingInterrupted(interrupts.signal, `${interrupts.signal}: stopped after training's last epoch; ${saved}`);
  }
  const seconds = (performance.now() - started) / 1000;
  log(`trained ${history.loss.length} epoch(s) in ${seconds.toFixed(1)} s`);

  // Evaluate the best weights, which ModelCheckpoint wrote (EarlyStopping may have restored them already).
  if (bestPath) model.loadStateDict(await load(bestPath));
  if (textSampler) {
    const best = history.val_loss?.length ? Math.min(...history.val_loss) : null;
    textSampler.write(best === null ? "final weights" : `best weights (val_loss ${best.toFixed(4)}, ${(best / Math.LN2).toFixed(3)} bits/char)`);
  }
  let testAccuracy: number | null = null;
  // A rank of --nproc other than 0 has nothing to report: rank 0 tests the (equal) weights.
  if (a.distributed && getRank() !== 0) return { history, testAccuracy };
  if (data.test) {
    const testLoader = new DataLoader(data.test, { batchSize: 256 });
    const preds: number[] = [], labels: number[] = [];
    for (const [x, y] of testLoader) {
      const out = predict(model, x, { batchSize: 256 });
      const p = out.argmax(1);
      preds.push(...Array.from(p.dataSync()));
      labels.push(...Array.from(y.dataSync()));
      out.dispose(); p.dispose(); x.dispose(); y.dispose();
    }
    const report = classificationReport(tensor(Int32Array.from(preds)), tensor(Int32Array.from(labels)), { targetNames: data.classes });
    testAccuracy = report.accuracy;
    dashboard.live?.run.push({ type: "test", time: Date.now(), accuracy: testAccuracy });
    log(`test accuracy: ${(testAccuracy * 100).toFixed(2)}%`);
    log(report.toString());
    if (a.out) writeFileSync(join(a.out, "test-report.txt"), report.toString() + "\n");
  }
  const d = diagnose(history, { model, optimizer, augmented: a.augment });
  log(`diagnosis: ${d.explanation} (${d.confidence} confidence)`);
  for (const r of d.remedies) log(`  - ${r}`);
  for (const note of d.notes) log(`  note: ${note}`);
  if (a.out) {
    writeFileSync(join(a.out, "history.json"), JSON.stringify(history, null, 2) + "\n");
    // The class names, in label order: `nabla predict --weights <out>/best.safetensors` prints them.
    writeFileSync(join(a.out, "classes.json"), JSON.stringify(data.classes) + "\n");
    const curves = await writeLearningCurves(history, a.out);
    if (!bestPath) await save(model, join(a.out, "best.safetensors"));
    writeFileSync(join(a.out, "diagnosis.json"), JSON.stringify(d, null, 2) + "\n");
    // The first convolution's filters, and its feature maps for the first test image.
    const pictures = writeFirstConvPictures(model, (data.test ?? data.train).get(0)[0], a.out);
    const report = data.test ? ", test-report.txt" : "";
    const samples = textSampler ? ", samples.txt" : "";
    const tensorboard = a.tensorboard ? ", tensorboard/ (view: tensorboard --logdir " + join(a.out, "tensorboard") + ")" : "";
    const live = dashboard.live ? ", dashboard.jsonl" : "";
    log(`wrote ${a.out}: best.safetensors, history.csv, history.json, classes.json${live}, ${curves.svg.split("/").pop()}, ${curves.png.split("/").pop()}${report}, diagnosis.json${samples}${pictures.map((p) => `, ${p}`).join("")}${tensorboard}`);
  }
  return { history, testAccuracy };
}

