// `npm run bench`: every benchmark in one run, printed as one table. Results and the command that
// produced them are recorded in docs/benchmarks.md.
// `npm run bench -- conv train` (or `nabla bench conv train`) runs only those sections; `--list`
// names them. The benchmarks are imported only when they run, so that listing them is quick.

import type { BenchResult } from "./common.js";

const SECTIONS: readonly [key: string, title: string, run: () => Promise<BenchResult[]>][] = [
  ["gemm", "GEMM", async () => (await import("./matmul.js")).benchMatmul()],
  ["sgemm", "sgemm 256-2048, native vs numpy/OpenBLAS (ISA, CPU and flags first)", async () => (await import("./native.js")).benchNative()],
  ["conv", "Convolution", async () => (await import("./conv.js")).benchConv()],
  ["train", "Training", async () => (await import("./train.js")).benchTrain()],
  ["compile", "Graph capture (nb.compile vs eager)", async () => (await import("./compile.js")).benchCompile()],
  ["char-lstm", "Sequence model training (char-LSTM)", async () => (await import("./char-lstm.js")).benchCharLstm()],
  ["detection", "Detection ops (NMS, RoI Align)", async () => (await import("./detection.js")).benchDetection()],
  ["epoch", "The main job (CLI epoch)", async () => (await import("./epoch.js")).benchEpoch()],
];
const args = process.argv.slice(2);
if (args.includes("--list")) {
  for (const [key, title] of SECTIONS) console.log(`${key.padEnd(10)} ${title}`);
  process.exit(0);
}
const unknown = args.filter((a) => !SECTIONS.some(([key]) => key === a));
if (unknown.length) {
  console.error(`bench: unknown section ${unknown.join(", ")}; choose from ${SECTIONS.map(([key]) => key).join(", ")}`);
  process.exit(2);
}
const nb = await import("../src/index.js");
console.log(`nabla bench — backend ${nb.getBackend()}, node ${process.version}, ${new Date().toISOString()}`);
for (const [key, title, run] of SECTIONS) {
  if (args.length && !args.includes(key)) continue;
  console.log(`\n${title}`);
  for (const r of await run()) console.log(`  ${r.name.padEnd(78)} ${r.value.toFixed(2).padStart(10)} ${r.unit}`);
}
