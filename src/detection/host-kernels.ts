// The detection kernels in plain JavaScript over row-major typed arrays: the reference the native
// kernels (native/src/detection.cc) are tested against, and what runs on backends without them
// (cpu; cuda through a host copy). Each follows torchvision 0.14's CPU kernel step by step,
// rounding to float32 after every operation where torchvision computes in float (`r` is
// Math.fround for float32 data, the identity for float64), so results agree to the last bit or
// close to it.

type Round = (v: number) => number;
const identity: Round = (v) => v;
export const rounding = (dtype: string): Round => (dtype === "float32" ? Math.fround : identity);

/** Box order for NMS: by descending score, ties by ascending index (torch's stable sort); NaN first, as torch sorts it. */
export function descendingOrder(scores: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: scores.length }, (_, i) => i);
  const key = (i: number): number => (Number.isNaN(scores[i]) ? Infinity : scores[i]);
  const nanFirst = (i: number, j: number): number => Number(Number.isNaN(scores[j])) - Number(Number.isNaN(scores[i]));
  order.sort((i, j) => nanFirst(i, j) || key(j) - key(i) || i - j);
  return order;
}

/**
 * Greedy NMS on [n, 4] boxes: indices of the kept boxes, by descending score. Each kept box
 * suppresses the later boxes whose IoU with it exceeds the threshold (O(n log n + kept·n)).
 */
export function nmsHost(boxes: ArrayLike<number>, scores: ArrayLike<number>, iouThreshold: number, r: Round): Int32Array {
  const n = scores.length;
  const order = descendingOrder(scores);
  // Corners and areas in sorted order, one array each (as the native kernel lays them out).
  const x1 = new Float64Array(n), y1 = new Float64Array(n), x2 = new Float64Array(n), y2 = new Float64Array(n), area = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    const i = 4 * order[a];
    x1[a] = boxes[i]; y1[a] = boxes[i + 1]; x2[a] = boxes[i + 2]; y2[a] = boxes[i + 3];
    area[a] = r(r(x2[a] - x1[a]) * r(y2[a] - y1[a]));
  }
  return r === identity ? suppress(x1, y1, x2, y2, area, order, iouThreshold, identity) : suppress(x1, y1, x2, y2, area, order, iouThreshold, Math.fround);
}

/** The greedy pass over boxes in score order (split out so each rounding gets its own compiled copy). */
function suppress(
  x1: Float64Array, y1: Float64Array, x2: Float64Array, y2: Float64Array, area: Float64Array, order: Int32Array, iouThreshold: number, r: Round,
): Int32Array {
  const n = order.length;
  const suppressed = new Uint8Array(n);
  const keep: number[] = [];
  for (let a = 0; a < n; a++) {
    if (suppressed[a]) continue;
    keep.push(order[a]);
    const ix1 = x1[a], iy1 = y1[a], ix2 = x2[a], iy2 = y2[a], iarea = area[a];
    for (let c = a + 1; c < n; c++) {
      if (suppressed[c]) continue;
      const w = Math.max(0, r(Math.min(ix2, x2[c]) - Math.max(ix1, x1[c])));
      const h = Math.max(0, r(Math.min(iy2, y2[c]) - Math.max(iy1, y1[c])));
      const inter = r(w * h);
      if (r(inter / r(r(iarea + area[c]) - inter)) > iouThreshold) suppressed[c] = 1;
    }
  }
  return Int32Array.from(keep);
}

/** Geometry shared by roiAlign's forward and backward. */
export interface RoIAlignGeometry {
  channels: number;
  height: number;
  width: number;
  pooledHeight: number;
  pooledWidth: number;
  spatialScale: number;
  samplingRatio: number;
  aligned: boolean;
}

/** One RoI's start, bin sizes and sampling grid, as torchvision computes them. */
function alignRoi(rois: ArrayLike<number>, n: number, g: RoIAlignGeometry, r: Round) {
  const scale = r(g.spatialScale);
  const offset = g.aligned ? 0.5 : 0;
  const startW = r(r(rois[5 * n + 1] * scale) - offset), startH = r(r(rois[5 * n + 2] * scale) - offset);
  const endW = r(r(rois[5 * n + 3] * scale) - offset), endH = r(r(rois[5 * n + 4] * scale) - offset);
  let roiW = r(endW - startW), roiH = r(endH - startH);
  if (!g.aligned) {
    roiW = Math.max(roiW, 1);
    roiH = Math.max(roiH, 1);
  }
  const binH = r(roiH / g.pooledHeight), binW = r(roiW / g.pooledWidth);
  const gridH = g.samplingRatio > 0 ? g.samplingRatio : Math.ceil(r(roiH / g.pooledHeight));
  const gridW = g.samplingRatio > 0 ? g.samplingRatio : Math.ceil(r(roiW / g.pooledWidth));
  return { batch: Math.trunc(rois[5 * n]), startH, startW, binH, binW, gridH, gridW };
}

/** Bilinear taps of one sample point: four positions in the plane and their weights (all zero outside). */
interface Taps {
  p1: number; p2: number; p3: number; p4: number;
  w1: number; w2: number; w3: number; w4: number;
  inside: boolean;
}

function bilinearTaps(yIn: number, xIn: number, height: number, width: number, r: Round, t: Taps): void {
  let y = yIn, x = xIn;
  if (y < -1 || y > height || x < -1 || x > width) {
    t.w1 = t.w2 = t.w3 = t.w4 = 0;
    t.p1 = t.p2 = t.p3 = t.p4 = 0;
    t.inside = false;
    return;
  }
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  let yLow = Math.trunc(y), xLow = Math.trunc(x), yHigh: number, xHigh: number;
  if (yLow >= height - 1) {
    yHigh = yLow = height - 1;
    y = yLow;
  } else yHigh = yLow + 1;
  if (xLow >= width - 1) {
    xHigh = xLow = width - 1;
    x = xLow;
  } else xHigh = xLow + 1;
  const ly = r(y - yLow), lx = r(x - xLow), hy = r(1 - ly), hx = r(1 - lx);
  t.w1 = r(hy * hx); t.w2 = r(hy * lx); t.w3 = r(ly * hx); t.w4 = r(ly * lx);
  t.p1 = yLow * width + xLow; t.p2 = yLow * width + xHigh; t.p3 = yHigh * width + xLow; t.p4 = yHigh * width + xHigh;
  t.inside = true;
}

/** Sample point (iy, ix) of bin (ph, pw): start + p·bin + (i + ½)·bin / grid. */
const samplePoint = (start: number, p: number, bin: number, i: number, grid: number, r: Round): number =>
  r(r(start + r(p * bin)) + r(r((i + 0.5) * bin) / grid));

/** roiAlign forward: x [N, C, H, W], rois [K, 5] → out [K, C, ph, pw] (row-major arrays). */
export function roiAlignHost(x: ArrayLike<number>, rois: ArrayLike<number>, K: number, g: RoIAlignGeometry, out: Float32Array | Float64Array, r: Round): void {
  const { channels: C, height: H, width: W, pooledHeight: PH, pooledWidth: PW } = g;
  const t: Taps = { p1: 0, p2: 0, p3: 0, p4: 0, w1: 0, w2: 0, w3: 0, w4: 0, inside: false };
  for (let n = 0; n < K; n++) {
    const roi = alignRoi(rois, n, g, r);
    const gh = Math.max(roi.gridH, 0), gw = Math.max(roi.gridW, 0);
    const count = Math.max(roi.gridH * roi.gridW, 1);
    // The taps of every sample, shared by all channels (torchvision's pre_calc).
    const taps: Taps[] = [];
    for (let ph = 0; ph < PH; ph++) {
      for (let pw = 0; pw < PW; pw++) {
        for (let iy = 0; iy < gh; iy++) {
          const y = samplePoint(roi.startH, ph, roi.binH, iy, roi.gridH, r);
          for (let ix = 0; ix < gw; ix++) {
            bilinearTaps(y, samplePoint(roi.startW, pw, roi.binW, ix, roi.gridW, r), H, W, r, t);
            taps.push({ ...t });
          }
        }
      }
    }
    for (let c = 0; c < C; c++) {
      const plane = (roi.batch * C + c) * H * W;
      let k = 0;
      for (let bin = 0; bin < PH * PW; bin++) {
        let v = 0;
        for (let s = 0; s < gh * gw; s++, k++) {
          const q = taps[k];
          v = r(v + r(r(r(r(q.w1 * x[plane + q.p1]) + r(q.w2 * x[plane + q.p2])) + r(q.w3 * x[plane + q.p3])) + r(q.w4 * x[plane + q.p4])));
        }
        out[(n * C + c) * PH * PW + bin] = r(v / count);
      }
    }
  }
}

/** roiAlign backward: adds each output gradient's bilinear share into gx [N, C, H, W] (zeroed by the caller). */
export function roiAlignBackwardHost(gy: ArrayLike<number>, rois: ArrayLike<number>, K: number, g: RoIAlignGeometry, gx: Float32Array | Float64Array, r: Round): void {
  const { channels: C, height: H, width: W, pooledHeight: PH, pooledWidth: PW } = g;
  const t: Taps = { p1: 0, p2: 0, p3: 0, p4: 0, w1: 0, w2: 0, w3: 0, w4: 0, inside: false };
  for (let n = 0; n < K; n++) {
    const roi = alignRoi(rois, n, g, r);
    const count = roi.gridH * roi.gridW;
    for (let c = 0; c < C; c++) {
      const plane = (roi.batch * C + c) * H * W;
      for (let ph = 0; ph < PH; ph++) {
        for (let pw = 0; pw < PW; pw++) {
          const go = gy[((n * C + c) * PH + ph) * PW + pw];
          for (let iy = 0; iy < roi.gridH; iy++) {
            const y = samplePoint(roi.startH, ph, roi.binH, iy, roi.gridH, r);
            for (let ix = 0; ix < roi.gridW; ix++) {
              bilinearTaps(y, samplePoint(roi.startW, pw, roi.binW, ix, roi.gridW, r), H, W, r, t);
              if (!t.inside) continue;
              gx[plane + t.p1] = r(gx[plane + t.p1] + r(r(go * t.w1) / count));
              gx[plane + t.p2] = r(gx[plane + t.p2] + r(r(go * t.w2) / count));
              gx[plane + t.p3] = r(gx[plane + t.p3] + r(r(go * t.w3) / count));
              gx[plane + t.p4] = r(gx[plane + t.p4] + r(r(go * t.w4) / count));
            }
          }
        }
      }
    }
  }
}

/** C's round (half away from zero), which torchvision's roi_pool uses on box corners. */
export const roundHalfAway = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));

export interface RoIPoolGeometry {
  channels: number;
  height: number;
  width: number;
  pooledHeight: number;
  pooledWidth: number;
  spatialScale: number;
}

/** roiPool forward: max of each bin (0 for an empty bin) and the flat in-plane index of the max (-1: none). */
export function roiPoolHost(
  x: ArrayLike<number>, rois: ArrayLike<number>, K: number, g: RoIPoolGeometry, out: Float32Array | Float64Array, argmax: Int32Array, r: Round,
): void {
  const { channels: C, height: H, width: W, pooledHeight: PH, pooledWidth: PW } = g;
  const scale = r(g.spatialScale);
  const lowest = -3.4028234663852886e38; // -FLT_MAX for every dtype, as torchvision
  for (let n = 0; n < K; n++) {
    const batch = Math.trunc(rois[5 * n]);
    const startW = roundHalfAway(r(rois[5 * n + 1] * scale)), startH = roundHalfAway(r(rois[5 * n + 2] * scale));
    const endW = roundHalfAway(r(rois[5 * n + 3] * scale)), endH = roundHalfAway(r(rois[5 * n + 4] * scale));
    const roiW = Math.max(endW - startW + 1, 1), roiH = Math.max(endH - startH + 1, 1);
    const binH = r(roiH / PH), binW = r(roiW / PW);
    const clampTo = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
    for (let ph = 0; ph < PH; ph++) {
      const hs = clampTo(Math.floor(r(ph * binH)) + startH, H), he = clampTo(Math.ceil(r((ph + 1) * binH)) + startH, H);
      for (let pw = 0; pw < PW; pw++) {
        const ws = clampTo(Math.floor(r(pw * binW)) + startW, W), we = clampTo(Math.ceil(r((pw + 1) * binW)) + startW, W);
        const empty = he <= hs || we <= ws;
        for (let c = 0; c < C; c++) {
          const plane = (batch * C + c) * H * W;
          let best = empty ? 0 : lowest, at = -1;
          for (let h = hs; h < he; h++) {
            for (let w = ws; w < we; w++) {
              const v = x[plane + h * W + w];
              if (v > best) {
                best = v;
                at = h * W + w;
              }
            }
          }
          const o = ((n * C + c) * PH + ph) * PW + pw;
          out[o] = best;
          argmax[o] = at;
        }
      }
    }
  }
}

/** roiPool backward: each output gradient goes to its bin's argmax (gx zeroed by the caller). */
export function roiPoolBackwardHost(
  gy: ArrayLike<number>, rois: ArrayLike<number>, argmax: Int32Array, K: number, g: RoIPoolGeometry, gx: Float32Array | Float64Array, r: Round,
): void {
  const { channels: C, height: H, width: W, pooledHeight: PH, pooledWidth: PW } = g;
  for (let n = 0; n < K; n++) {
    const batch = Math.trunc(rois[5 * n]);
    for (let c = 0; c < C; c++) {
      const plane = (batch * C + c) * H * W;
      for (let b = 0; b < PH * PW; b++) {
        const o = (n * C + c) * PH * PW + b;
        if (argmax[o] !== -1) gx[plane + argmax[o]] = r(gx[plane + argmax[o]] + gy[o]);
      }
    }
  }
}
