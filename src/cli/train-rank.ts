// One rank of `nabla train --nproc N` (src/cli/train-nproc.ts starts it with NABLA_TRAIN_RANK=1 and
// the torchrun variables): the same command line, run by main().
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
