// `npm run bench`: every benchmark in one run, printed as one table. Results and the command that
// produced them are recorded in docs/benchmarks.md.

import * as nb from "../src/index.js";
import { benchMatmul } from "./matmul.js";
import { benchConv } from "./conv.js";
import { benchTrain } from "./train.js";
import { benchEpoch } from "./epoch.js";
import { benchCharLstm } from "./char-lstm.js";

console.log(`nabla bench — backend ${nb.getBackend()}, node ${process.version}, ${new Date().toISOString()}`);
for (const [title, run] of [["GEMM", benchMatmul], ["Convolution", benchConv], ["Training", () => benchTrain()], ["Sequence model training (char-LSTM)", benchCharLstm], ["The main job (CLI epoch)", benchEpoch]] as const) {
  console.log(`\n${title}`);
  for (const r of await run()) console.log(`  ${r.name.padEnd(78)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
}
