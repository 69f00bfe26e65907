import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

const { learningCurvesSvg, learningCurvesPng, writeLearningCurves, CURVE_COLORS } = nb.viz;

// An overfitting run: validation loss bottoms out at the 7th epoch (index 6) and turns up.
const overfit = {
  loss: [2.1, 1.2, 0.8, 0.55, 0.41, 0.33, 0.27, 0.22, 0.18, 0.15],
  accuracy: [0.42, 0.66, 0.75, 0.82, 0.86, 0.89, 0.91, 0.925, 0.94, 0.95],
  val_loss: [1.6, 1.0, 0.72, 0.58, 0.5, 0.47, 0.46, 0.48, 0.51, 0.55],
  val_accuracy: [0.55, 0.7, 0.77, 0.81, 0.84, 0.85, 0.86, 0.858, 0.855, 0.85],
  lr: new Array(10).fill(1e-3),
  epoch: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
};

/** Light well-formedness check: balanced tags, one root, quoted attributes, escaped text. */
function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, "");
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const entity = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const stack: string[] = [];
  let roots = 0;
  while (token.lastIndex < body.length) {
    const at = token.lastIndex;
    const m = token.exec(body);
    assert.ok(m, `malformed markup at ${at}: ${JSON.stringify(body.slice(at, at + 60))}`);
    const [, closing, name, attrs, selfClosing, text] = m;
    if (text !== undefined) {
      assert.ok(!entity.test(text), `unescaped & in text ${JSON.stringify(text)}`);
      if (stack.length === 0) assert.match(text, /^\s*$/, "text outside the root element");
      continue;
    }
    assert.ok(!entity.test(attrs), `unescaped & in attributes of <${name}>`);
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
  }
  assert.deepEqual(stack, [], "unclosed elements");
  assert.equal(roots, 1, "one root element");
}

interface SeriesGroup { panel: string; series: string; key: string; circles: { cx: number; cy: number }[]; polylines: number }

/** The series groups of each panel, with their dots' centres and polyline count. */
function seriesGroups(svg: string): SeriesGroup[] {
  const out: SeriesGroup[] = [];
  for (const panel of svg.split(`<g class="panel" `).slice(1)) {
    const panelId = /^data-panel="([^"]*)"/.exec(panel)![1];
    for (const m of panel.matchAll(/<g class="series" data-series="([^"]*)" data-key="([^"]*)"[^>]*>([\s\S]*?)<\/g>/g)) {
      const circles = [...m[3].matchAll(/<circle cx="([^"]+)" cy="([^"]+)"/g)].map((c) => ({ cx: Number(c[1]), cy: Number(c[2]) }));
      out.push({ panel: panelId, series: m[1], key: m[2], circles, polylines: (m[3].match(/<polyline /g) ?? []).length });
    }
  }
  return out;
}

function texts(svg: string, cls: string): string[] {
  return [...svg.matchAll(new RegExp(`<text [^>]*class="${cls}"[^>]*>([^<]*)</text>`, "g"))].map((m) => m[1]);
}

test("svg: well-formed, two panels, legends, one dot per epoch per series", () => {
  const svg = learningCurvesSvg(overfit, { title: "typicalCnn <mnist> & co" });
  assertWellFormedXml(svg);
  assert.match(svg, /^<\?xml version="1.0"[^>]*\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="960" height="380"/);
  assert.deepEqual([...svg.matchAll(/data-panel="([^"]*)"/g)].map((m) => m[1]), ["loss", "accuracy"]);
  assert.ok(svg.includes(">typicalCnn &lt;mnist&gt; &amp; co</text>"), "title escaped");
  assert.deepEqual(texts(svg, "panel-title"), ["Loss", "Accuracy"]);
  assert.deepEqual(texts(svg, "x-label"), ["epoch", "epoch"]);
  assert.deepEqual(texts(svg, "y-label"), ["loss", "accuracy"]);
  const legend = texts(svg, "legend-label");
  assert.deepEqual(legend, [
    "training", "validation", "lowest val_loss (epoch 7)",
    "training", "validation", "lowest val_loss (epoch 7)",
  ]);
  const groups = seriesGroups(svg);
  assert.deepEqual(groups.map((g) => `${g.panel}/${g.series}/${g.key}`), [
    "loss/training/loss", "loss/validation/val_loss", "accuracy/training/accuracy", "accuracy/validation/val_accuracy",
  ]);
  for (const g of groups) {
    assert.equal(g.circles.length, 10, `${g.key} dots`);
    assert.equal(g.polylines, 1, `${g.key} one unbroken line`);
    // Epochs run left to right in equal steps.
    const dx = g.circles.slice(1).map((c, i) => c.cx - g.circles[i].cx);
    for (const d of dx) assert.ok(Math.abs(d - dx[0]) < 0.02 && d > 0, `${g.key} x spacing ${dx}`);
  }
  // Lower loss is lower on the page: y grows downwards in SVG.
  const trainLoss = groups[0].circles;
  assert.ok(trainLoss[0].cy < trainLoss[9].cy);
  // The best-epoch marker sits on the 7th validation dot.
  const markerX = Number(/<g class="marker" data-x="7"[^>]*>\n<line x1="([^"]+)"/.exec(svg)![1]);
  assert.ok(Math.abs(markerX - groups[1].circles[6].cx) < 0.02);
  const ring = /<g class="marker"[^>]*>\n<line [^>]*\/>\n<circle cx="([^"]+)" cy="([^"]+)"/.exec(svg)!;
  assert.ok(Math.abs(Number(ring[2]) - groups[1].circles[6].cy) < 0.02, "ring around the lowest validation loss");
  assert.ok(!/NaN|Infinity|undefined/.test(svg));
});

test("svg: plots against epoch+1 from the history's 0-based epoch key", () => {
  const svg = learningCurvesSvg({ loss: [1, 0.8, 0.7], val_loss: [0.9, 0.6, 0.65], epoch: [4, 5, 6] });
  assert.deepEqual(texts(svg, "legend-label"), ["training", "validation", "lowest val_loss (epoch 6)"]);
  const xTicks = [...svg.matchAll(/<text x="[^"]+" y="[^"]+" text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]);
  assert.deepEqual(xTicks, ["5", "6", "7"]);
  // Without an epoch key, epochs count from 1.
  const plain = learningCurvesSvg({ loss: [1, 0.8, 0.7], val_loss: [0.9, 0.6, 0.65] });
  assert.deepEqual(texts(plain, "legend-label"), ["training", "validation", "lowest val_loss (epoch 2)"]);
});

test("svg: metric panel choice and single panel", () => {
  const top5 = learningCurvesSvg({ loss: [1, 0.5], lr: [0.1, 0.1], top5_accuracy: [0.7, 0.9], val_top5_accuracy: [0.6, 0.8], epoch: [0, 1] });
  assert.deepEqual([...top5.matchAll(/data-panel="([^"]*)"/g)].map((m) => m[1]), ["loss", "top5_accuracy"]);
  assert.deepEqual(texts(top5, "panel-title"), ["Loss", "Top5 accuracy"]);
  // accuracy wins over an earlier metric key.
  const both = learningCurvesSvg({ loss: [1, 0.5], precision: [0.3, 0.4], accuracy: [0.5, 0.6] });
  assert.deepEqual([...both.matchAll(/data-panel="([^"]*)"/g)].map((m) => m[1]), ["loss", "accuracy"]);
  // No metric: one panel, narrower by default.
  const single = learningCurvesSvg({ loss: [1, 0.5], val_loss: [1.2, 0.7], lr: [0.1, 0.01] });
  assert.deepEqual([...single.matchAll(/data-panel="([^"]*)"/g)].map((m) => m[1]), ["loss"]);
  assert.match(single, /<svg [^>]*width="520" height="380"/);
  assertWellFormedXml(single);
});

test("svg: single epoch, NaN gaps, missing validation, constant series", () => {
  const one = learningCurvesSvg({ loss: [0.7], accuracy: [0.8], val_loss: [0.6], val_accuracy: [0.85] });
  assertWellFormedXml(one);
  for (const g of seriesGroups(one)) {
    assert.equal(g.circles.length, 1, `${g.key}: one dot`);
    assert.equal(g.polylines, 0, `${g.key}: no line through one point`);
  }
  assert.ok(!/NaN|Infinity/.test(one));

  // NaN, null (JSON's NaN) and Infinity are gaps: dots only where finite, lines broken there.
  const gaps = learningCurvesSvg({ loss: [1, NaN, 0.6, 0.5, null, 0.3], val_loss: [1.1, 0.9, Infinity, 0.7, 0.65, 0.6] } as Record<string, (number | null)[]>);
  assertWellFormedXml(gaps);
  const [train, val] = seriesGroups(gaps);
  assert.equal(train.circles.length, 4);
  assert.equal(train.polylines, 1); // 0.6-0.5; 1 and 0.3 stand alone
  assert.equal(val.circles.length, 5);
  assert.equal(val.polylines, 2);
  assert.match(gaps, /lowest val_loss \(epoch 6\)/);
  assert.ok(!/NaN|Infinity/.test(gaps));

  const trainOnly = learningCurvesSvg({ loss: [1, 0.7, 0.5], accuracy: [0.5, 0.7, 0.8] });
  assert.deepEqual(texts(trainOnly, "legend-label"), ["training", "training"]);
  assert.ok(!trainOnly.includes(`class="marker"`), "no best-epoch marker without validation loss");
  assert.equal(seriesGroups(trainOnly).length, 2);

  // A constant series gets a y range around its value: ticks above and below, dot in the middle.
  const flat = learningCurvesSvg({ loss: [0.5, 0.5, 0.5], accuracy: [0, 0, 0] });
  assertWellFormedXml(flat);
  for (const g of seriesGroups(flat)) {
    assert.equal(g.circles.length, 3);
    assert.ok(g.circles.every((c) => Number.isFinite(c.cy) && c.cy === g.circles[0].cy));
  }
  const yTicks = [...flat.matchAll(/<text x="[^"]+" y="[^"]+" text-anchor="end">([^<]*)<\/text>/g)].map((m) => Number(m[1]));
  const lossTicks = yTicks.filter((v) => v > 0.4);
  assert.ok(lossTicks.length >= 3 && Math.min(...lossTicks) < 0.5 && Math.max(...lossTicks) > 0.5, `loss ticks ${lossTicks}`);
  const [lossDots] = seriesGroups(flat);
  const plotTop = 4 + 56, plotBottom = 380 - 44;
  assert.ok(Math.abs(lossDots.circles[0].cy - (plotTop + plotBottom) / 2) < 1, "constant value centred");
  assert.ok(!/NaN|Infinity/.test(flat));

  // All-NaN validation: drawn without dots or marker, no throw.
  const dead = learningCurvesSvg({ loss: [1, 2], val_loss: [NaN, NaN] });
  assert.equal(seriesGroups(dead)[1].circles.length, 0);
  assert.ok(!dead.includes(`class="marker"`));
});

test("bad input names the function and what is wrong", () => {
  assertThrowsMatching(() => learningCurvesSvg({}), /^learningCurvesSvg: history is empty/);
  assertThrowsMatching(() => learningCurvesPng({}), /^learningCurvesPng: history is empty/);
  assertThrowsMatching(() => learningCurvesSvg({ accuracy: [0.5], val_accuracy: [0.4] }), /^learningCurvesSvg: history has no "loss" key \(it has accuracy, val_accuracy\)/);
  assertThrowsMatching(() => learningCurvesSvg(null as never), /^learningCurvesSvg: history must be an object/);
  assertThrowsMatching(() => learningCurvesSvg([1, 2] as never), /^learningCurvesSvg: history must be an object/);
  assertThrowsMatching(() => learningCurvesSvg({ loss: [] }), /^learningCurvesSvg: history.loss is empty/);
  assertThrowsMatching(() => learningCurvesSvg({ loss: 0.5 } as never), /^learningCurvesSvg: history.loss must be an array/);
  assertThrowsMatching(() => learningCurvesSvg({ loss: [1, "2"] } as never), /^learningCurvesSvg: history.loss\[1\] must be a number, got "2"/);
  assertThrowsMatching(() => learningCurvesSvg({ loss: [1, 2], val_loss: [1] }), /^learningCurvesSvg: history.val_loss has 1 values but history.loss has 2/);
  assertThrowsMatching(() => learningCurvesSvg({ loss: [1, 2], epoch: [0, NaN] }), /^learningCurvesSvg: history.epoch\[1\] is NaN/);
  assertThrowsMatching(() => learningCurvesSvg({ loss: [1] }, { width: 0 }), /^learningCurvesSvg: width must be an integer number of pixels/);
  assertThrowsMatching(() => learningCurvesSvg({ loss: [1] }, { height: 12.5 }), /^learningCurvesSvg: height must be an integer/);
  assertThrowsMatching(() => learningCurvesSvg({ loss: [1], accuracy: [1] }, { width: 200 }), /^learningCurvesSvg: width 200 leaves no room for 2 panels/);
  assertThrowsMatching(() => learningCurvesSvg({ loss: [1] }, { title: 5 as never }), /^learningCurvesSvg: title must be a string/);
});

test("writeLearningCurves: bad arguments are rejected by name", async () => {
  await assert.rejects(writeLearningCurves({ loss: [1] }, ""), /^TypeError: writeLearningCurves: dir must be a non-empty path/);
  await assert.rejects(writeLearningCurves({ loss: [1] }, tmpdir(), { basename: "a/b" }), /^TypeError: writeLearningCurves: basename must be a file name/);
  await assert.rejects(writeLearningCurves({ val_loss: [1] }, tmpdir()), /^Error: writeLearningCurves: history has no "loss" key/);
});

function hexToRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/** Whether some pixel within `radius` of (x, y) is close to `rgb`. */
function hasColourNear(png: PNG, x: number, y: number, rgb: [number, number, number], radius = 2, tolerance = 24): boolean {
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      const px = Math.round(x) + dx, py = Math.round(y) + dy;
      if (px < 0 || py < 0 || px >= png.width || py >= png.height) continue;
      const i = (py * png.width + px) * 4;
      if (rgb.every((c, k) => Math.abs(png.data[i + k] - c) <= tolerance)) return true;
    }
  }
  return false;
}

function darkPixelsIn(png: PNG, x0: number, y0: number, x1: number, y1: number): number {
  let count = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * png.width + x) * 4;
      if (png.data[i] < 100 && png.data[i + 1] < 100 && png.data[i + 2] < 100) count++;
    }
  }
  return count;
}

test("png: signature, requested size, curves in their colours where the svg puts them, text drawn", () => {
  const opts = { width: 800, height: 360, title: "overfit" };
  const bytes = learningCurvesPng(overfit, opts);
  assert.ok(bytes instanceof Uint8Array);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const png = PNG.sync.read(Buffer.from(bytes));
  assert.equal(png.width, 800);
  assert.equal(png.height, 360);

  const groups = seriesGroups(learningCurvesSvg(overfit, opts));
  const colour = { training: hexToRgb(CURVE_COLORS.training), validation: hexToRgb(CURVE_COLORS.validation) };
  for (const g of groups) {
    const rgb = colour[g.series as "training" | "validation"];
    for (const c of [g.circles[0], g.circles[g.circles.length - 1]]) {
      assert.ok(hasColourNear(png, c.cx, c.cy, rgb), `${g.panel}/${g.key}: ${g.series} colour near (${c.cx}, ${c.cy})`);
    }
  }
  // The marker's red is on the 7th validation loss dot's ring.
  const v7 = groups[1].circles[6];
  assert.ok(hasColourNear(png, v7.cx, v7.cy - 7, hexToRgb(CURVE_COLORS.marker), 2));
  // Background white, and glyphs in the title row: the bundled font rendered text.
  assert.deepEqual([...png.data.subarray(0, 4)], [255, 255, 255, 255]);
  assert.ok(darkPixelsIn(png, 340, 8, 460, 30) > 40, "title text drawn");
  assert.equal(darkPixelsIn(png, 0, 0, 300, 8), 0, "blank margin above the title");
});

test("png: single epoch, gaps and training-only histories render", () => {
  const histories: Record<string, number[]>[] = [
    { loss: [0.7], val_loss: [0.6], accuracy: [0.8], val_accuracy: [0.85] },
    { loss: [1, NaN, 0.6, 0.5, NaN, 0.3], val_loss: [1.1, 0.9, NaN, 0.7, 0.65, 0.6] },
    { loss: [1, 0.7, 0.5] },
  ];
  for (const h of histories) {
    const png = PNG.sync.read(Buffer.from(learningCurvesPng(h)));
    const [first] = seriesGroups(learningCurvesSvg(h));
    assert.ok(hasColourNear(png, first.circles[0].cx, first.circles[0].cy, hexToRgb(CURVE_COLORS.training)));
  }
});

test("writeLearningCurves writes the svg and png (creating the folder) and returns their paths", async () => {
  const root = await mkdtemp(join(tmpdir(), "nabla-viz-"));
  try {
    const dir = join(root, "runs", "a");
    const paths = await writeLearningCurves(overfit, dir);
    assert.deepEqual(paths, { svg: join(dir, "learning-curves.svg"), png: join(dir, "learning-curves.png") });
    assert.equal(await readFile(paths.svg, "utf8"), learningCurvesSvg(overfit));
    const png = PNG.sync.read(await readFile(paths.png));
    assert.deepEqual([png.width, png.height], [960, 380]);
    const named = await writeLearningCurves({ loss: [1, 0.5] }, dir, { basename: "curves", width: 400, height: 300 });
    assert.equal(named.png, join(dir, "curves.png"));
    assert.deepEqual([PNG.sync.read(await readFile(named.png)).width], [400]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
