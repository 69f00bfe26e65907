// The course notes' convolution examples, computed with nabla.
// Run: node --import tsx examples/seeds-convolution.ts

import * as nb from "../src/index.js";

/** A single-image, single-channel [1, 1, H, W] tensor from rows. */
const plane = (rows: number[][]): nb.Tensor => nb.tensor(rows).reshape([1, 1, rows.length, rows[0].length]);

function show(title: string, image: number[][], kernel: number[][], opts?: nb.ConvOptions): number[][] {
  const out = nb.conv2d(plane(image), plane(kernel), null, opts);
  const rows = out.reshape([out.shape[2], out.shape[3]]).toArray() as number[][];
  console.log(`${title}\n${rows.map((r) => "  " + r.map((v) => String(v).padStart(4)).join("")).join("\n")}\n`);
  return rows;
}

const verticalEdge = [[1, 0, -1], [1, 0, -1], [1, 0, -1]];

show(
  "5x5 image * 3x3 X filter (seed 003):",
  [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]],
  [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
);

show(
  "6x6 image * vertical-edge filter (seed 004; its first value is 3+1+2-1-8-2 = -5):",
  [[3, 0, 1, 2, 7, 4], [1, 5, 8, 9, 3, 1], [2, 7, 2, 5, 1, 3], [0, 1, 3, 1, 7, 8], [4, 2, 1, 6, 2, 8], [2, 4, 5, 2, 3, 9]],
  verticalEdge,
);

show(
  "10/0 step image * vertical-edge filter: the edge lights up in the middle columns:",
  Array.from({ length: 6 }, () => [10, 10, 10, 0, 0, 0]),
  verticalEdge,
);

show(
  "5x5 image * [[0,1,2],[2,2,0],[0,1,2]]:",
  [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]],
  [[0, 1, 2], [2, 2, 0], [0, 1, 2]],
);

console.log("Output sizes, floor((n + 2p - d(k-1) - 1)/s) + 1:");
console.log(`  6x6 input, k=3, p=1, s=2 -> ${nb.convOutputSize(6, 3, { stride: 2, padding: 1 })}`);
const rgb = nb.zeros([1, 3, 32, 32]);
const valid = nb.conv2d(rgb, nb.zeros([1, 3, 3, 3]), null, { padding: "valid" });
console.log(`  32x32x3 input, k=3, "valid" -> ${valid.shape[2]}x${valid.shape[3]}`);
