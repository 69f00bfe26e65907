// `nabla train ... --nproc N`: data-parallel training of one `nabla train` command line on N
// processes of this machine. This process becomes the launcher (runCommand, as `nabla run`): it
// starts N ranks of the same command line with NABLA_TRAIN_RANK=1 set; each rank joins the process
// group, wraps its model in DistributedDataParallel and trains with nb.fit, which shards the data and
// lets rank 0 alone print and write --out.
import { fileURLToPath } from "node:url";
import { extname } from "node:path";
import { runCommand } from "./run-command.js";
import { UsageError } from "./usage-error.js";
import { isDetectionModel } from "./detection-command.js";
import { modelTask } from "./registry.js";

export const TRAIN_NPROC_HELP = "data-parallel training on n processes of this machine (needs the Gloo addon, docs/distributed.md); rank 0 prints and writes --out; not with --resume or --dashboard";

/** True inside a rank started by `nabla train --nproc`. */
export function isTrainRank(): boolean {
  return process.env.NABLA_TRAIN_RANK === "1";
}

export async function launchTrainRanks(nproc: number, argv: string[], o: { resume: boolean; dashboard: boolean; model?: string }): Promise<void> {
  if (o.resume) throw new UsageError("--nproc: not with --resume yet (resume the run on one process, without --nproc)");
  if (o.dashboard) throw new UsageError("--nproc: not with --dashboard yet (rank 0 writes <out>/history.csv; browse it afterwards with nabla dashboard)");
  if (o.model !== undefined && (isDetectionModel(o.model) || modelTask(o.model) === "generate")) {
    throw new UsageError(`--nproc: follows nb.fit's training of classifiers and language models; --model ${o.model} trains with a loop of its own`);
  }
  // The rank entry beside this file: train-rank.ts under tsx, train-rank.js in dist/.
  const here = fileURLToPath(import.meta.url);
  const script = fileURLToPath(new URL(`./train-rank${extname(here)}`, import.meta.url));
  const saved = process.env.NABLA_TRAIN_RANK;
  process.env.NABLA_TRAIN_RANK = "1";
  try {
    await runCommand({ nproc, script, args: argv });
  } finally {
    if (saved === undefined) delete process.env.NABLA_TRAIN_RANK;
    else process.env.NABLA_TRAIN_RANK = saved;
  }
}
