// Selective search (nb.detection.selectiveSearch) on nb.datasets.shapes images: milliseconds per
// image, proposals per image, and how well the proposals cover the ground truth: recall (the
// fraction of objects with a proposal of IoU ≥ 0.5 / 0.7 / 0.9) and the paper's average best
// overlap (ABO: the mean over objects of their best IoU). Pure TypeScript, one thread.
// Method: one warm-up image, then IMAGES images timed one by one; the median wall time and the
// median CPU time of the process (process.cpuUsage: what the work costs on a machine shared with
// other jobs, where wall time also counts waiting for a core) are reported.
// Run: node --import tsx bench/selective-search.ts [imageSize ...]   (default 128 256)

import * as nb from "../src/index.js";

const IMAGES = 5;

function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

const sizes = process.argv.slice(2).map(Number);
for (const size of sizes.length ? sizes : [128, 256]) {
  const ds = nb.datasets.shapes({ n: IMAGES + 1, imageSize: size, seed: 1 });
  for (const mode of ["single", "fast", "quality"] as const) {
    nb.detection.selectiveSearch(ds.get(IMAGES)[0], { mode });
    const times: number[] = [];
    const cpuTimes: number[] = [];
    const best: number[] = [];
    let proposals = 0;
    for (let i = 0; i < IMAGES; i++) {
      const [image, target] = ds.get(i);
      const t0 = performance.now(), c0 = process.cpuUsage();
      const boxes = nb.detection.selectiveSearch(image, { mode });
      const cpu = process.cpuUsage(c0);
      times.push(performance.now() - t0);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
      proposals += boxes.shape[0];
      const p = boxes.dataSync(), g = target.boxes.dataSync();
      for (let k = 0; k < g.length; k += 4) {
        let m = 0;
        for (let j = 0; j < p.length; j += 4) m = Math.max(m, iou(g.subarray(k, k + 4), p.subarray(j, j + 4)));
        best.push(m);
      }
    }
    times.sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);
    const recall = (t: number): string => ((100 * best.filter((v) => v >= t).length) / best.length).toFixed(0) + "%";
    const abo = best.reduce((a, b) => a + b, 0) / best.length;
    console.log(
      `${size}x${size} ${mode.padEnd(7)} ${times[IMAGES >> 1].toFixed(0).padStart(6)} ms/image (cpu ${cpuTimes[IMAGES >> 1].toFixed(0).padStart(5)} ms)  ${(proposals / IMAGES).toFixed(0).padStart(5)} proposals  ` +
        `recall@0.5 ${recall(0.5)}  @0.7 ${recall(0.7)}  @0.9 ${recall(0.9)}  ABO ${abo.toFixed(3)}  (${best.length} objects)`,
    );
  }
}
