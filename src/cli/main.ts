// The `nabla` command: train, summary, explain, eval. Bad input ends with one clear line on
// stderr and exit code 2 (usage) or 1 (failure), never a stack trace (set NABLA_DEBUG=1 for one).

import { Command, CommanderError, Option } from "commander";
import { load } from "../io/save-load.js";
import { summary } from "../summary/summary.js";
import { explain } from "../summary/explain.js";
import { evaluate } from "../train/evaluate.js";
import { setBackend } from "../backend/registry.js";
import { buildModel, defaultInputShape, loadDataset, MODEL_NAMES, DATASET_NAMES } from "./registry.js";
import { trainCommand } from "./train-command.js";
import { UsageError, parseNumber } from "./usage-error.js";

const num = (flag: string, check: Parameters<typeof parseNumber>[2] = {}) => (v: string) => parseNumber(flag, v, check);

function inputShape(value: string | undefined, model: string): number[] {
  if (!value) return defaultInputShape(model);
  const dims = value.split(/[,x]/).map((d) => parseNumber("--input", d.trim(), { integer: true, min: 1 }));
  return dims;
}

export function buildProgram(): Command {
  const program = new Command("nabla")
    .description("nabla: deep learning in TypeScript — train and inspect models from the command line")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program.command("train")
    .description("train a model on a dataset, write weights, history and learning curves, report test metrics")
    .requiredOption("--model <name>", `model: ${MODEL_NAMES.join(", ")}`)
    .option("--dataset <name>", `dataset: ${DATASET_NAMES.join(", ")}`, "mnist")
    .option("--root <dir>", "folder with the dataset files (fashion-mnist, cifar10, imagefolder; mnist ships with nabla)")
    .option("--epochs <n>", "epochs", num("--epochs", { integer: true, min: 1 }), 5)
    .option("--batch-size <n>", "mini-batch size (Keras' default)", num("--batch-size", { integer: true, min: 1 }), 32)
    .option("--optimizer <name>", "adam, adamw, sgd, rmsprop, adagrad, adadelta, nadam", "adam")
    .option("--lr <x>", "learning rate (default depends on the optimizer)", num("--lr", { min: 0, exclusiveMin: true }))
    .option("--momentum <x>", "momentum for sgd and rmsprop", num("--momentum", { min: 0, max: 1 }), 0.9)
    .option("--weight-decay <x>", "L2 weight decay", num("--weight-decay", { min: 0 }), 0)
    .option("--schedule <name>", "learning-rate schedule: none, step, cosine, plateau, onecycle", "none")
    .option("--dropout <p>", "dropout probability of the model's dropout layers", num("--dropout", { min: 0, max: 1 }))
    .option("--augment", "random shifts/rotations (digits) or crops/flips (colour images)", false)
    .option("--validation-split <f>", "fraction of the training set held out for validation", num("--validation-split", { min: 0, max: 0.9 }), 0.1)
    .option("--patience <n>", "early stopping: epochs without validation improvement", num("--patience", { integer: true, min: 0 }))
    .option("--seed <n>", "random seed", num("--seed", { integer: true }), 0)
    .addOption(new Option("--device <name>", "backend: cpu, native, cuda (default: the fastest available)").env("NABLA_BACKEND"))
    .option("--out <dir>", "write best weights, history (CSV, JSON) and learning curves (PNG, SVG) here")
    .option("--limit <n>", "use only the first n training images (quick runs)", num("--limit", { integer: true, min: 10 }))
    .option("--quiet", "no progress bar", false)
    .action(async (o) => {
      const { history, testAccuracy } = await trainCommand({
        model: o.model, dataset: o.dataset, root: o.root, epochs: o.epochs, batchSize: o.batchSize, optimizer: o.optimizer,
        lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, schedule: o.schedule, dropout: o.dropout, augment: o.augment,
        validationSplit: o.validationSplit, patience: o.patience, seed: o.seed, device: o.device, out: o.out, limit: o.limit,
        verbose: o.quiet ? 0 : process.stdout.isTTY ? 1 : 2,
      });
      if (!Number.isFinite(history.loss[history.loss.length - 1])) throw new Error("training diverged (the loss is not finite); lower --lr");
      void testAccuracy;
    });

  program.command("summary")
    .description("print the Keras-style summary of a model")
    .requiredOption("--model <name>", `model: ${MODEL_NAMES.join(", ")}`)
    .option("--input <shape>", "input shape without the batch, e.g. 1,28,28")
    .option("--classes <n>", "number of classes", num("--classes", { integer: true, min: 1 }), 10)
    .action((o) => {
      const shape = inputShape(o.input, o.model);
      summary(buildModel(o.model, { numClasses: o.classes, inChannels: shape[0] }), shape);
    });

  program.command("explain")
    .description("show the arithmetic behind each layer: output sizes, parameters, receptive fields")
    .requiredOption("--model <name>", `model: ${MODEL_NAMES.join(", ")}`)
    .option("--input <shape>", "input shape without the batch, e.g. 1,28,28")
    .option("--classes <n>", "number of classes", num("--classes", { integer: true, min: 1 }), 10)
    .action((o) => {
      const shape = inputShape(o.input, o.model);
      explain(buildModel(o.model, { numClasses: o.classes, inChannels: shape[0] }), shape);
    });

  program.command("eval")
    .description("evaluate saved weights on a dataset's test split")
    .requiredOption("--model <name>", `model: ${MODEL_NAMES.join(", ")}`)
    .requiredOption("--weights <file>", "a .safetensors (or PyTorch .pt) state dict")
    .option("--dataset <name>", "dataset", "mnist")
    .option("--root <dir>", "dataset folder")
    .addOption(new Option("--device <name>", "backend").env("NABLA_BACKEND"))
    .action(async (o) => {
      if (o.device) setBackend(o.device);
      const data = loadDataset(o.dataset, o.root, undefined);
      if (!data.test) throw new UsageError(`--dataset ${o.dataset} has no test split`);
      const model = buildModel(o.model, { numClasses: data.classes.length, inChannels: data.channels });
      model.loadStateDict(await load(o.weights));
      const logs = await evaluate(model, data.test, { loss: "crossEntropy", metrics: ["accuracy", "f1"], batchSize: 256 });
      console.log(Object.entries(logs).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(" - "));
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander already printed the message
    if (process.env.NABLA_DEBUG) console.error(e);
    const message = e instanceof Error ? e.message : String(e);
    console.error(`nabla: ${message.split("\n")[0]}`);
    return e instanceof UsageError ? 2 : 1;
  }
}
