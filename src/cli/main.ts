// The `nabla` command: train, summary, explain, eval. Bad input ends with one clear line on
// stderr and exit code 2 (usage) or 1 (failure), never a stack trace (set NABLA_DEBUG=1 for one).

import "../backends.js";
import { mkdirSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { load } from "../io/save-load.js";
import { summary } from "../summary/summary.js";
import { explain } from "../summary/explain.js";
import { evaluate } from "../train/evaluate.js";
import { setBackend } from "../backend/registry.js";
import { buildModel, parseInputShape, loadDataset, modelTask, MODEL_NAMES, DATASET_NAMES } from "./registry.js";
import { trainCommand } from "./train-command.js";
import { generativeCommand, GENERATIVE_FLAGS } from "./generative-command.js";
import { sampleCommand } from "./sample-command.js";
import { transferCommand } from "./transfer-command.js";
import { DETECTION_MODELS, detectCommand, detectionTrainCommand, isDetectionModel } from "./detection-command.js";
import { addOptimizerFlags } from "./optimizer-flags.js";
import { predictCommand } from "./predict-command.js";
import { benchCommand } from "./bench-command.js";
import { runCommand } from "./run-command.js";
import { dashboardCommand } from "./dashboard-command.js";
import { DEFAULT_DASHBOARD_PORT } from "../dashboard/server.js";
import { UsageError, parseNumber } from "./usage-error.js";
import { TrainingInterrupted } from "./interrupts.js";
import { resumedOptions, writeRunOptions } from "./run-folder.js";
import { isTrainRank, launchTrainRanks, TRAIN_NPROC_HELP } from "./train-nproc.js";

/** Flags that may differ when a run is resumed (`nabla train --resume DIR --epochs 20` trains it longer). */
const RESUME_MAY_CHANGE = ["epochs", "checkpointEvery", "device", "quiet", "dashboard", "dashboardKeep", "compile"] as const;

const num = (flag: string, check: Parameters<typeof parseNumber>[2] = {}) => (v: string) => parseNumber(flag, v, check);

/** --limit and --test-limit, the same for train and transfer. */
function addLimitFlags(cmd: Command): Command {
  return cmd
    .option("--limit <n>", "read only the first n images of the training split (imagefolder: n spread over all classes; text: the first n sequences); the validation split is held out of these. The test split stays whole (see --test-limit)", num("--limit", { integer: true, min: 10 }))
    .option("--test-limit <n>", "evaluate on only the first n images of the test split (default: all of it)", num("--test-limit", { integer: true, min: 1 }));
}

/** summary and explain trace the model on zeros: float images, or int32 character ids for a language model. */
function traceDtype(model: string, classes: number | undefined): "float32" | "int32" {
  if (modelTask(model) !== "language-model") return "float32";
  if (classes === undefined) throw new UsageError(`--classes <n>: the vocabulary size of ${model} (the number of distinct characters, e.g. 65) is needed to build it`);
  return "int32";
}

export function buildProgram(): Command {
  const program = new Command("nabla")
    .description("nabla: deep learning in TypeScript — train and inspect models from the command line")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  const train = program.command("train")
    .description("train a model on a dataset, write weights, history and learning curves, report test metrics")
    .option("--model <name>", `model: ${MODEL_NAMES.join(", ")}; detection: ${DETECTION_MODELS.join(", ")} (required, except with --resume)`)
    .option("--dataset <name>", `dataset: ${DATASET_NAMES.join(", ")}; detection: shapes (the default for a detection model), voc`, "mnist")
    .option("--root <dir>", "folder with the dataset files (fashion-mnist, cifar10, imagefolder; mnist ships with nabla); for --dataset text, a UTF-8 text file (default: Moby Dick)")
    .option("--epochs <n>", "epochs", num("--epochs", { integer: true, min: 1 }), 5)
    .option("--batch-size <n>", "mini-batch size (Keras' default)", num("--batch-size", { integer: true, min: 1 }), 32);
  addOptimizerFlags(train)
    .option("--schedule <name>", "learning-rate schedule: none, step, cosine, plateau, onecycle", "none")
    .option("--dropout <p>", "dropout probability of the model's dropout layers", num("--dropout", { min: 0, max: 1 }))
    .option("--augment", "random shifts/rotations (digits) or crops/flips (colour images)", false)
    .option("--validation-split <f>", "fraction of the training set held out for validation", num("--validation-split", { min: 0, max: 0.9 }), 0.1)
    .option("--patience <n>", "early stopping: epochs without validation improvement", num("--patience", { integer: true, min: 0 }))
    .option("--seed <n>", "random seed", num("--seed", { integer: true }), 0)
    .addOption(new Option("--device <name>", "backend: cpu, native, cuda (default: the fastest available)").env("NABLA_BACKEND"))
    .option("--out <dir>", "write best weights, history (CSV, JSON) and learning curves (PNG, SVG) here")
    .option("--tensorboard", "also write TensorBoard event files into <out>/tensorboard (view: tensorboard --logdir <out>/tensorboard)", false);
  addLimitFlags(train)
    .option("--seq-length <n>", "--dataset text: characters per training sequence (default 100)", num("--seq-length", { integer: true, min: 1 }))
    .option("--temperature <list>", "language models: sampling temperatures after each epoch, e.g. 0.5,1 (the default); 0 is greedy", (v: string) => v.split(",").map((d) => parseNumber("--temperature", d.trim(), { min: 0 })))
    .option("--sample-length <n>", "language models: characters per sample (default 200)", num("--sample-length", { integer: true, min: 1 }))
    .option("--prime <text>", "language models: the text each sample starts from (default: the text's first word)")
    .option("--nz <n>", "generative models: length of the noise / latent vector (dcgan 100, vae 20, autoencoders 32)", num("--nz", { integer: true, min: 1 }))
    .option("--ngf <n>", "dcgan: generator width, channels of its last hidden block (default 64)", num("--ngf", { integer: true, min: 1 }))
    .option("--ndf <n>", "dcgan: discriminator width, channels of its first block (default 64)", num("--ndf", { integer: true, min: 1 }))
    .option("--image-size <n>", "dcgan: 32 (default; 28x28 images are padded) or 64 (resized); detection: the images' short side (shapes: 64)", num("--image-size", { integer: true, min: 1 }))
    .option("--noise <std>", "autoencoders: Gaussian noise added to the inputs, the target stays clean (a denoising autoencoder)", num("--noise", { min: 0, exclusiveMin: true }))
    .option("--dashboard [port]", `serve a live dashboard of the run on 127.0.0.1 (default port ${DEFAULT_DASHBOARD_PORT}; 0: any free port); it stops when the run ends`)
    .option("--dashboard-keep", "keep the --dashboard server open after training, until Ctrl-C", false)
    .option("--checkpoint-every <n>", "with --out: also checkpoint every n steps into <out>/checkpoint.safetensors (it is written at every epoch's end and at Ctrl-C anyway)", num("--checkpoint-every", { integer: true, min: 1 }))
    .option("--resume <dir>", "continue the run in <dir> (the --out of an interrupted run) from its last checkpoint, with the options it started with; --epochs may raise the epoch count")
    .option("--quiet", "no progress bar", false)
    .option("--compile", "classifiers and language models: run each training step through nb.compile (replays its kernel calls; the same numbers as without)", false)
    .option("--nproc <n>", TRAIN_NPROC_HELP, num("--nproc", { integer: true, min: 1 }))
    .action(async (given, cmd: Command) => {
      const isGiven = (key: string) => ["cli", "env"].includes(cmd.getOptionValueSource(key) ?? "");
      const resuming = given.resume !== undefined;
      // --nproc N: this process launches N ranks of the same command line (src/cli/train-nproc.ts).
      if (given.nproc !== undefined && !isTrainRank()) {
        await launchTrainRanks(given.nproc, currentArgv, { resume: resuming, dashboard: given.dashboard !== undefined, model: given.model });
        return;
      }
      // A detector's own defaults (shapes, batches of 4) go into run.json as the values the run uses.
      if (!resuming && given.model !== undefined && isDetectionModel(given.model)) {
        if (!isGiven("dataset")) given.dataset = "shapes";
        if (!isGiven("batchSize")) given.batchSize = 4;
      }
      const o = resuming ? resumedOptions(given.resume, "train", given, isGiven, RESUME_MAY_CHANGE) as typeof given : given;
      if (o.model === undefined) throw new UsageError("--model <name>: which model to train (or --resume <dir> to continue a run)");
      // The generative and detection models checkpoint at every epoch's end only (their own loops).
      const ownLoop = isDetectionModel(o.model) || modelTask(o.model) === "generate";
      if (o.checkpointEvery !== undefined && ownLoop) {
        throw new UsageError(`--checkpoint-every: not for --model ${o.model} (its own training loop checkpoints at every epoch's end only); classifiers and language models have both`);
      }
      if (o.out && !resuming && !(isTrainRank() && process.env.RANK !== "0")) {
        mkdirSync(o.out, { recursive: true });
        writeRunOptions(o.out, "train", o);
      }
      const dashboard = o.dashboard === undefined ? undefined : o.dashboard === true ? DEFAULT_DASHBOARD_PORT : parseNumber("--dashboard", o.dashboard, { integer: true, min: 0, max: 65535 });
      if (dashboard !== undefined && (isDetectionModel(o.model) || modelTask(o.model) === "generate")) throw new UsageError(`--dashboard: follows nb.fit's training of classifiers and language models; --model ${o.model} trains with a loop of its own`);
      if (isDetectionModel(o.model)) {
        await detectionTrainCommand({
          model: o.model, dataset: o.dataset, root: o.root, epochs: o.epochs, batchSize: o.batchSize, optimizer: o.optimizer, lr: o.lr, momentum: o.momentum,
          weightDecay: o.weightDecay, seed: o.seed, device: o.device, out: o.out, limit: o.limit, testLimit: o.testLimit, imageSize: o.imageSize,
          resume: resuming, verbose: o.quiet ? 0 : 1,
        });
        return;
      }
      if (modelTask(o.model) === "generate") {
        // Flags of the classifier path, when given, are refused (their defaults are not).
        const given = (key: string) => ["cli", "env"].includes(cmd.getOptionValueSource(key) ?? "");
        const classifierFlags = [
          o.schedule !== "none" && "--schedule", o.augment && "--augment", o.patience !== undefined && "--patience", o.dropout !== undefined && "--dropout",
          given("validationSplit") && "--validation-split", o.seqLength !== undefined && "--seq-length", o.temperature && "--temperature",
          o.sampleLength !== undefined && "--sample-length", o.prime !== undefined && "--prime",
        ].filter((f): f is string => typeof f === "string");
        await generativeCommand({
          model: o.model, dataset: o.dataset, root: o.root, epochs: o.epochs, batchSize: o.batchSize, optimizer: o.optimizer,
          lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, seed: o.seed, device: o.device, out: o.out, limit: o.limit,
          testLimit: o.testLimit, nz: o.nz, ngf: o.ngf, ndf: o.ndf, imageSize: o.imageSize, noise: o.noise, classifierFlags, resume: resuming,
          verbose: o.quiet ? 0 : process.stdout.isTTY ? 1 : 2,
        });
        return;
      }
      const generativeOnly = GENERATIVE_FLAGS.filter((f) => o[f.key] !== undefined).map((f) => f.flag);
      if (generativeOnly.length) throw new UsageError(`${generativeOnly.join(", ")}: only for the generative models (--model dcgan, vae, autoencoder, conv-autoencoder)`);
      const { history } = await trainCommand({
        model: o.model, dataset: o.dataset, root: o.root, epochs: o.epochs, batchSize: o.batchSize, optimizer: o.optimizer,
        lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, schedule: o.schedule, dropout: o.dropout, augment: o.augment,
        validationSplit: o.validationSplit, patience: o.patience, seed: o.seed, device: o.device, out: o.out, limit: o.limit,
        tensorboard: o.tensorboard, dashboard, dashboardKeep: o.dashboardKeep, testLimit: o.testLimit, seqLength: o.seqLength, sampling: { temperatures: o.temperature, sampleLength: o.sampleLength, prime: o.prime },
        checkpointEvery: o.checkpointEvery, resume: resuming, distributed: isTrainRank(), compile: o.compile,
        verbose: o.quiet ? 0 : process.stdout.isTTY ? 1 : 2,
      });
      if (!Number.isFinite(history.loss[history.loss.length - 1])) throw new Error("training diverged (the loss is not finite); lower --lr");
    });

  program.command("summary")
    .description("print the Keras-style summary of a model")
    .requiredOption("--model <name>", `model: ${MODEL_NAMES.join(", ")}`)
    .option("--input <shape>", "input shape C,H,W without the batch, e.g. 1,28,28 or 3,224,224 (default: the model's design input)")
    .option("--classes <n>", "number of classes (default: the model's own, 10 or 1000)", num("--classes", { integer: true, min: 1 }))
    .action((o) => {
      const dtype = traceDtype(o.model, o.classes);
      const shape = parseInputShape(o.input, o.model);
      // Summary traces zeros: skip the random weight draw (seconds for the big ImageNet models).
      summary(buildModel(o.model, { numClasses: o.classes, inChannels: shape[0], initWeights: false }), shape, { dtype });
    });

  program.command("explain")
    .description("show the arithmetic behind each layer: output sizes, parameters, receptive fields")
    .requiredOption("--model <name>", `model: ${MODEL_NAMES.join(", ")}`)
    .option("--input <shape>", "input shape C,H,W without the batch, e.g. 1,28,28 or 3,224,224 (default: the model's design input)")
    .option("--classes <n>", "number of classes (default: the model's own, 10 or 1000)", num("--classes", { integer: true, min: 1 }))
    .action((o) => {
      const dtype = traceDtype(o.model, o.classes);
      const shape = parseInputShape(o.input, o.model);
      explain(buildModel(o.model, { numClasses: o.classes, inChannels: shape[0], initWeights: false }), shape, { dtype });
    });

  program.command("eval")
    .description("evaluate saved weights on a dataset's test split")
    .requiredOption("--model <name>", `model: ${MODEL_NAMES.join(", ")}`)
    .requiredOption("--weights <file>", "a .safetensors (or PyTorch .pt) state dict")
    .option("--dataset <name>", `dataset: ${DATASET_NAMES.join(", ")}`, "mnist")
    .option("--root <dir>", "dataset folder")
    .option("--test-limit <n>", "evaluate on only the first n test images (default: all of them)", num("--test-limit", { integer: true, min: 1 }))
    .addOption(new Option("--device <name>", "backend").env("NABLA_BACKEND"))
    .action(async (o) => {
      if (modelTask(o.model) === "generate") throw new UsageError(`eval reports a classifier's test accuracy; --model ${o.model} generates images (\`nabla sample --model ${o.model} --weights …\` draws from it)`);
      if (o.device) setBackend(o.device);
      const data = loadDataset(o.dataset, o.root, { test: o.testLimit });
      if (!data.test) throw new UsageError(`--dataset ${o.dataset} has no test split`);
      const model = buildModel(o.model, { numClasses: data.classes.length, inChannels: data.channels });
      model.loadStateDict(await load(o.weights));
      const logs = await evaluate(model, data.test, { loss: "crossEntropy", metrics: ["accuracy", "f1"], batchSize: 256 });
      console.log(Object.entries(logs).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(" - "));
    });
  const transfer = program.command("transfer")
    .description("transfer learning: load pretrained weights, put a new head on the model, freeze the base, train the head, optionally fine-tune")
    .requiredOption("--from <weights>", "pretrained weights (.safetensors, or a PyTorch .pt state dict) for --model")
    .requiredOption("--model <name>", `model: ${MODEL_NAMES.join(", ")}`)
    .option("--dataset <name>", `dataset: ${DATASET_NAMES.join(", ")}`, "mnist")
    .option("--root <dir>", "folder with the dataset files (fashion-mnist, cifar10, imagefolder)")
    .option("--classes <list>", "train on these classes only, relabelled 0..k-1 (names or indices, e.g. 5,6,7,8,9)")
    .option("--freeze <what>", "base (train only the new head), partial (freeze the early layers), none (train everything)", "base")
    .option("--up-to <layer>", "with --freeze partial: the last frozen module (e.g. layer3) or a number of layers")
    .option("--head <name>", "the classifier module to replace (default: the last Linear layer)")
    .option("--hidden <sizes>", "hidden layer sizes of an MLP head, e.g. 128 or 256,128", (v: string) => v.split(",").map((d) => parseNumber("--hidden", d.trim(), { integer: true, min: 1 })))
    .option("--dropout <p>", "dropout in the new head", num("--dropout", { min: 0, max: 0.99 }))
    .option("--epochs <n>", "epochs training the head", num("--epochs", { integer: true, min: 1 }), 5)
    .option("--fine-tune-epochs <n>", "then epochs fine-tuning the whole model (0: none)", num("--fine-tune-epochs", { integer: true, min: 0 }), 0);
  addOptimizerFlags(transfer)
    .option("--fine-tune-lr <x>", "learning rate of the base while fine-tuning (default: lr / 10)", num("--fine-tune-lr", { min: 0, exclusiveMin: true }))
    .option("--batch-size <n>", "mini-batch size", num("--batch-size", { integer: true, min: 1 }), 32)
    .option("--validation-split <f>", "random fraction of the training images held out for validation", num("--validation-split", { min: 0, max: 0.9 }), 0.1);
  addLimitFlags(transfer)
    .option("--seed <n>", "random seed", num("--seed", { integer: true }), 0)
    .addOption(new Option("--device <name>", "backend: cpu, native, cuda (default: the fastest available)").env("NABLA_BACKEND"))
    .option("--out <dir>", "write the weights, history, learning curves, first-layer filters and feature maps here")
    .option("--quiet", "no progress bar", false)
    .action(async (o) => {
      await transferCommand({
        from: o.from, model: o.model, dataset: o.dataset, root: o.root, classes: o.classes, freeze: o.freeze, upTo: o.upTo, head: o.head,
        hidden: o.hidden, dropout: o.dropout, epochs: o.epochs, fineTuneEpochs: o.fineTuneEpochs,
        optimizer: o.optimizer, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, fineTuneLr: o.fineTuneLr,
        batchSize: o.batchSize, validationSplit: o.validationSplit, limit: o.limit, testLimit: o.testLimit, seed: o.seed, device: o.device, out: o.out,
        verbose: o.quiet ? 0 : process.stdout.isTTY ? 1 : 2,
      });
    });
  program.command("detect")
    .description("detect objects in an image with a Faster R-CNN's weights (from `nabla train --model fasterrcnn --out`, or torchvision's fasterrcnn_resnet50_fpn) and draw the boxes into a PNG")
    .requiredOption("--weights <file>", "the detector's state dict (.safetensors or a PyTorch .pt/.pth); a detector.json beside it names the model and classes")
    .requiredOption("--image <file>", "a PNG or JPEG image")
    .option("--out <file>", "the PNG to write", "boxes.png")
    .option("--model <name>", `without detector.json: ${DETECTION_MODELS.join(", ")} (default fasterrcnn-resnet50-fpn, torchvision's layout; its frozen batch norms then use eps 0 as torchvision's COCO weights)`)
    .option("--classes <n>", "without detector.json: classes including the background (default 91, COCO's)", num("--classes", { integer: true, min: 2 }))
    .option("--score-threshold <x>", "draw and list detections scoring at least this", num("--score-threshold", { min: 0, max: 1 }), 0.5)
    .addOption(new Option("--device <name>", "backend").env("NABLA_BACKEND"))
    .action(async (o) => {
      await detectCommand({ weights: o.weights, image: o.image, out: o.out, model: o.model, classes: o.classes, scoreThreshold: o.scoreThreshold, device: o.device });
    });
  program.command("sample")
    .description("draw new images from a trained generative model's weights (dcgan: generator.safetensors; vae: vae.safetensors) into a PNG grid")
    .requiredOption("--model <name>", "dcgan or vae")
    .requiredOption("--weights <file>", "the generator's (dcgan) or the VAE's state dict, .safetensors or a PyTorch .pt/.pth")
    .option("--n <n>", "images to draw", num("--n", { integer: true, min: 1, max: 4096 }), 64)
    .option("--nrow <n>", "images per row (default: about square)", num("--nrow", { integer: true, min: 1 }))
    .option("--out <file>", "the PNG to write", "samples.png")
    .option("--seed <n>", "random seed of the noise", num("--seed", { integer: true }), 0)
    .addOption(new Option("--device <name>", "backend").env("NABLA_BACKEND"))
    .action(async (o) => {
      await sampleCommand({ model: o.model, weights: o.weights, n: o.n, nrow: o.nrow, out: o.out, seed: o.seed, device: o.device });
    });
  program.command("predict")
    .description("classify PNG/JPEG images with trained weights: each image's top-k classes and their probabilities")
    .requiredOption("--model <name>", `model: ${MODEL_NAMES.join(", ")}`)
    .requiredOption("--weights <file>", "a .safetensors (or PyTorch .pt) state dict, e.g. <out>/best.safetensors of nabla train (its classes.json names the classes)")
    .requiredOption("--input <paths...>", "image files and folders (searched recursively for .png, .jpg, .jpeg)")
    .option("--top-k <k>", "classes to show per image", num("--top-k", { integer: true, min: 1 }), 5)
    .option("--json", "print JSON: [{ file, predictions: [{ index, class, probability }] }]", false)
    .option("--classes <file>", "class names, a JSON array or one per line (default: classes.json beside the weights, else indices)")
    .option("--resize", "scale images of another size to the model's input (bilinear); without it they are refused", false)
    .addOption(new Option("--device <name>", "backend").env("NABLA_BACKEND"))
    .action(async (o) => {
      await predictCommand({ model: o.model, weights: o.weights, input: o.input, topK: o.topK, json: o.json, classes: o.classes, resize: o.resize, device: o.device });
    });
  program.command("dashboard")
    .description("browse the runs under a folder (finished ones and ones still training) in a web page on 127.0.0.1, curves side by side")
    .option("--logdir <dir>", "the folder holding the runs (the --out folders of nabla train)", "runs")
    .option("--port <n>", "port on 127.0.0.1 (0: any free port)", num("--port", { integer: true, min: 0, max: 65535 }), DEFAULT_DASHBOARD_PORT)
    .action(async (o) => {
      await dashboardCommand({ logdir: o.logdir, port: o.port });
    });
  program.command("run")
    .description("start N processes of a script for nb.distributed (like torchrun), on one machine or several (--nnodes/--node-rank): RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT are set; one failing rank stops the others")
    .requiredOption("--nproc <n>", "processes to start on this machine", num("--nproc", { integer: true, min: 1 }))
    .option("--nnodes <n>", "machines taking part, each running `nabla run` with its own --node-rank", num("--nnodes", { integer: true, min: 1 }), 1)
    .option("--node-rank <r>", "this machine's index (0 … nnodes-1): its processes are ranks r·nproc … r·nproc+nproc-1", num("--node-rank", { integer: true, min: 0 }), 0)
    .option("--master-addr <host>", "the address of node 0, where rank 0 serves the rendezvous", "127.0.0.1")
    .option("--master-port <port>", "its port (default: a free one; required with --nnodes > 1)", num("--master-port", { integer: true, min: 0, max: 65535 }), 0)
    .argument("<script>", "the script (.ts runs through tsx, .js/.mjs with node)")
    .argument("[args...]", "the script's arguments")
    .action(async (script: string, args: string[], o) => {
      await runCommand({ nproc: o.nproc, nnodes: o.nnodes, nodeRank: o.nodeRank, script, args, masterAddr: o.masterAddr, masterPort: o.masterPort });
    });
  program.command("bench")
    .description("print the project's speed table (the same as npm run bench; needs a clone of the repository): all sections, or those named")
    .argument("[sections...]", "gemm, sgemm, conv, train, compile, char-lstm, detection, epoch (default: all)")
    .option("--list", "list the sections and exit", false)
    .action(async (sections: string[], o) => {
      await benchCommand(o.list ? ["--list"] : sections);
    });
  return program;
}

/** The command line main() was given (`nabla train --nproc` hands it to every rank). */
let currentArgv: string[] = [];

export async function main(argv: string[]): Promise<number> {
  currentArgv = argv;
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander already printed the message
    if (e instanceof TrainingInterrupted) {
      console.error(`nabla: ${e.message}`);
      return e.exitCode;
    }
    if (process.env.NABLA_DEBUG) console.error(e);
    const message = e instanceof Error ? e.message : String(e);
    console.error(`nabla: ${message.split("\n")[0]}`);
    return e instanceof UsageError ? 2 : 1;
  }
}
