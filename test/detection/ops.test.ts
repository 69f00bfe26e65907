// nb.detection's torchvision.ops building blocks against torchvision 0.14
// (scripts/fixtures/detection_ops.py → test/fixtures/detection_ops.json), on the cpu backend (the
// JavaScript kernels of src/detection/host-kernels.ts) and the native one (native/src/detection.cc).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";
import { decodeFixture, type Enc } from "../helpers/fixture-tensor.js";

const D = nb.detection;
const fixture = JSON.parse(readFileSync(new URL("../fixtures/detection_ops.json", import.meta.url), "utf8"));
const DEVICES = ["cpu", ...(nb.backends().includes("native") ? ["native"] : [])];
const ints = (t: nb.Tensor): number[] => Array.from(t.dataSync(), Number);
const dec = (e: Enc, device: string, requiresGrad = false): nb.Tensor => decodeFixture(e, { device, requiresGrad });
/** A fixture's values as a flat array (assertClose compares it element by element, shapes aside). */
const values = (e: Enc): Float64Array => Float64Array.from(decodeFixture(e).dataSync(), Number);
const list = (e: Enc): number[] => Array.from(decodeFixture(e).dataSync(), Number);

for (const device of DEVICES) {
  test(`box utilities match torchvision (${device})`, () => {
    const f = fixture.boxes;
    const a = dec(f.a, device), b = dec(f.b, device);
    assertClose(D.boxArea(a), values(f.area_a), { msg: "boxArea" });
    assertClose(D.boxIou(a, b), values(f.iou), { msg: "boxIou" });
    for (const [key, want] of Object.entries(f.convert as Record<string, Enc>)) {
      const [from, to] = key.split("->") as [nb.detection.BoxFormat, nb.detection.BoxFormat];
      const src = from === "xyxy" ? a : b;
      assertClose(D.boxConvert(src, from, to), values(want), { msg: key });
    }
    assertClose(D.clipBoxesToImage(dec(f.clip_in, device), f.clip_size), values(f.clip), { msg: "clip" });
    assert.deepEqual(ints(D.removeSmallBoxes(a, f.small_min)), list(f.small));
    assert.equal(D.removeSmallBoxes(a, f.small_min).dtype, "int32");
  });

  test(`generalizedBoxIou: values and gradients of both box sets match torchvision (${device})`, () => {
    const f = fixture.boxes;
    const ga = dec(f.giou_a, device, true), gb = dec(f.b, device, true);
    const giou = D.generalizedBoxIou(ga, gb);
    assertClose(giou, values(f.giou), { msg: "giou" });
    nb.sum(nb.mul(giou, dec(f.giou_g, device))).backward();
    assertClose(ga.grad!, values(f.giou_grad_a), { atol: 1e-5, msg: "grad a" });
    assertClose(gb.grad!, values(f.giou_grad_b), { atol: 1e-5, msg: "grad b" });
  });

  test(`nms keeps torchvision's indices in its order, ties included (${device})`, () => {
    for (const [i, c] of (fixture.nms as { boxes: Enc; scores: Enc; threshold: number; keep: Enc }[]).entries()) {
      const keep = D.nms(dec(c.boxes, device), dec(c.scores, device), c.threshold);
      assert.equal(keep.dtype, "int32");
      assert.deepEqual(ints(keep), list(c.keep), `case ${i} (threshold ${c.threshold})`);
    }
    assert.deepEqual(D.nms(nb.zeros([0, 4], { device }), nb.zeros([0], { device }), 0.5).shape, [0]);
  });

  test(`batchedNms matches torchvision on both of its paths (${device})`, () => {
    for (const c of fixture.batched as { boxes: Enc; scores: Enc; idxs: Enc; threshold: number; keep: Enc }[]) {
      const keep = D.batchedNms(dec(c.boxes, device), dec(c.scores, device), dec(c.idxs, device), c.threshold);
      assert.deepEqual(ints(keep), list(c.keep), `${c.boxes.shape[0]} boxes`);
    }
  });

  test(`roiAlign values and input gradients match torchvision (${device})`, () => {
    const f = fixture.roiAlign;
    for (const c of f.cases) {
      const x = dec(f.x, device, true);
      const opts = { spatialScale: c.spatialScale, samplingRatio: c.samplingRatio, aligned: c.aligned };
      const y = D.roiAlign(x, dec(f.rois, device), c.outputSize, opts);
      const msg = `roiAlign ${JSON.stringify(c.outputSize)} ${JSON.stringify(opts)}`;
      // Bit for bit: both kernels repeat torchvision's float operations in its order.
      assertClose(y, values(c.y), { atol: 0, rtol: 0, msg });
      nb.sum(nb.mul(y, dec(c.g, device))).backward();
      assertClose(x.grad!, values(c.gx), { atol: 0, rtol: 0, msg: `${msg} grad` });
    }
  });

  test(`roiPool values and input gradients match torchvision (${device})`, () => {
    const f = fixture.roiPool;
    for (const c of f.cases) {
      const x = dec(f.x, device, true);
      const y = D.roiPool(x, dec(f.rois, device), c.outputSize, c.spatialScale);
      const msg = `roiPool ${JSON.stringify(c.outputSize)} scale ${c.spatialScale}`;
      assertClose(y, values(c.y), { atol: 0, rtol: 0, msg });
      nb.sum(nb.mul(y, dec(c.g, device))).backward();
      assertClose(x.grad!, values(c.gx), { atol: 0, rtol: 0, msg: `${msg} grad` });
    }
  });

  test(`MultiScaleRoIAlign over two levels: values and gradients of both maps (${device})`, () => {
    const f = fixture.multiScale;
    const p2 = dec(f.p2, device, true), p3 = dec(f.p3, device, true);
    const m = new D.MultiScaleRoIAlign({ featmapNames: ["p2", "p3"], outputSize: [3, 3], samplingRatio: 2 });
    const features = { p2, unused: nb.zeros([2, 2, 4, 4], { device }), p3 };
    const y = m.forward(features, f.proposals.map((p: Enc) => dec(p, device)), f.imageShapes);
    assertClose(y, values(f.y), { atol: 0, rtol: 0, msg: "multi-scale values" });
    nb.sum(nb.mul(y, dec(f.g, device))).backward();
    assertClose(p2.grad!, values(f.gp2), { atol: 0, rtol: 0, msg: "grad p2" });
    assertClose(p3.grad!, values(f.gp3), { atol: 0, rtol: 0, msg: "grad p3" });
  });

  test(`the box-list form of rois equals the [K, 5] form; RoIAlign and RoIPool modules (${device})`, () => {
    const x = nb.randn([2, 2, 6, 5], { device });
    const perImage = [nb.tensor([[0, 0, 3, 4], [1, 1.5, 4, 5]], { device }), nb.tensor([[2, 0, 4.5, 3]], { device })];
    const rows = nb.tensor([[0, 0, 0, 3, 4], [0, 1, 1.5, 4, 5], [1, 2, 0, 4.5, 3]], { device });
    assertClose(D.roiAlign(x, perImage, 2, { samplingRatio: 2 }), D.roiAlign(x, rows, 2, { samplingRatio: 2 }), { atol: 0, rtol: 0 });
    assertClose(D.roiPool(x, perImage, [2, 3], 0.5), D.roiPool(x, rows, [2, 3], 0.5), { atol: 0, rtol: 0 });
    assertClose(new D.RoIAlign(2, { samplingRatio: 2, aligned: true }).forward(x, rows), D.roiAlign(x, rows, 2, { samplingRatio: 2, aligned: true }), { atol: 0, rtol: 0 });
    assertClose(new D.RoIPool([2, 3], 0.5).forward(x, rows), D.roiPool(x, rows, [2, 3], 0.5), { atol: 0, rtol: 0 });
    assert.deepEqual(D.roiAlign(x, nb.zeros([0, 5], { device }), 3).shape, [0, 2, 3, 3]);
  });
}

test("the native kernels equal the JavaScript ones on larger random inputs", { skip: DEVICES.length < 2 ? "native backend unavailable" : false }, () => {
  nb.manualSeed(7);
  const n = 2000;
  const xy = nb.mul(nb.rand([n, 2]), 300), wh = nb.add(nb.mul(nb.rand([n, 2]), 80), 1);
  const boxes = nb.cat([xy, nb.add(xy, wh)], 1);
  const scores = nb.div(nb.round(nb.mul(nb.rand([n]), 50)), 50);
  const cpuKeep = ints(D.nms(boxes.to("cpu"), scores.to("cpu"), 0.6));
  assert.deepEqual(ints(D.nms(boxes.to("native"), scores.to("native"), 0.6)), cpuKeep);
  const x = nb.randn([2, 8, 25, 31]);
  const rois = nb.cat([nb.randint(0, 2, [60, 1]).to("float32"), nb.sub(nb.mul(boxes.slice(0, 0, 60), 0.1), 2)], 1);
  for (const opts of [{ spatialScale: 0.5 }, { samplingRatio: 2, aligned: true }]) {
    const xc = x.to("cpu").detach().requiresGrad_(), xn = x.to("native").detach().requiresGrad_();
    const yc = D.roiAlign(xc, rois.to("cpu"), [7, 5], opts), yn = D.roiAlign(xn, rois.to("native"), [7, 5], opts);
    assertClose(yn, yc, { atol: 0, rtol: 0, msg: `roiAlign ${JSON.stringify(opts)}` });
    const g = nb.randn(yc.shape);
    nb.sum(nb.mul(yc, g.to("cpu"))).backward();
    nb.sum(nb.mul(yn, g.to("native"))).backward();
    assertClose(xn.grad!, xc.grad!, { atol: 0, rtol: 0, msg: "roiAlign grad" });
    const pc = x.to("cpu").detach().requiresGrad_(), pn = x.to("native").detach().requiresGrad_();
    const zc = D.roiPool(pc, rois.to("cpu"), 4, 0.5), zn = D.roiPool(pn, rois.to("native"), 4, 0.5);
    assertClose(zn, zc, { atol: 0, rtol: 0, msg: "roiPool" });
    const h = nb.randn(zc.shape);
    nb.sum(nb.mul(zc, h.to("cpu"))).backward();
    nb.sum(nb.mul(zn, h.to("native"))).backward();
    assertClose(pn.grad!, pc.grad!, { atol: 0, rtol: 0, msg: "roiPool grad" });
  }
});

test("bad input: clear errors naming the op, the box and the sizes", () => {
  const x = nb.randn([2, 3, 5, 5]);
  assertThrowsMatching(() => D.roiAlign(x, nb.tensor([[2, 0, 0, 1, 1]]), 2), /roiAlign: box 0 has batch index 2, out of range for an input of N = 2/);
  assertThrowsMatching(() => D.roiPool(x, nb.tensor([[-1, 0, 0, 1, 1]]), 2), /roiPool: box 0 has batch index -1/);
  assertThrowsMatching(() => D.roiAlign(x, nb.tensor([[0, 0, 1, 1]]), 2), /roiAlign: boxes must be \[K, 5\].*got shape \[1, 4\]/);
  assertThrowsMatching(() => D.roiAlign(x, [nb.tensor([[0, 0, 1]])], 2), /roiAlign: boxes\[0\] must be \[L, 4\]/);
  assertThrowsMatching(() => D.roiAlign(nb.randn([3, 5, 5]), nb.tensor([[0, 0, 0, 1, 1]]), 2), /roiAlign: input must be \[N, C, H, W\]/);
  assertThrowsMatching(() => D.roiAlign(x, nb.tensor([[0, 0, 0, 1, 1]]), 2, { samplingratio: 2 } as never), /samplingRatio/);
  assertThrowsMatching(() => D.generalizedBoxIou(nb.tensor([[0, 0, 1, 1], [5, 0, 2, 1]]), nb.tensor([[0, 0, 1, 1]])), /generalizedBoxIou: boxes1\[1\] = \(5, 0, 2, 1\) has x2 < x1/);
  assertThrowsMatching(() => D.boxIou(nb.tensor([[0, 0, 1]]), nb.tensor([[0, 0, 1, 1]])), /boxIou: boxes1 must be \[K, 4\], got shape \[1, 3\]/);
  assertThrowsMatching(() => D.nms(nb.tensor([[0, 0, 1, 1]]), nb.tensor([1, 2]), 0.5), /nms: scores must be \[1\]/);
  assertThrowsMatching(() => D.boxConvert(nb.tensor([[0, 0, 1, 1]]), "xyxy", "yxyx" as never), /boxConvert: outFmt must be one of xyxy, xywh, cxcywh/);
  const m = new D.MultiScaleRoIAlign({ featmapNames: ["a", "b"], outputSize: 2, samplingRatio: 2 });
  const boxes = [nb.tensor([[0, 0, 4, 4]]), nb.tensor([[0, 0, 4, 4]])];
  assertThrowsMatching(() => m.forward({ a: nb.randn([2, 3, 8, 8]), b: nb.randn([2, 4, 4, 4]) }, boxes, [[16, 16]]), /MultiScaleRoIAlign: feature maps must share N and C/);
  assertThrowsMatching(() => m.forward({ a: nb.randn([2, 3, 8, 8]) }, boxes, [[16, 16]]), /MultiScaleRoIAlign: no feature map named "b"/);
  assertThrowsMatching(() => m.forward({ a: nb.randn([2, 3, 8, 8]), b: nb.randn([2, 3, 4, 4]) }, boxes.slice(0, 1), [[16, 16]]), /one proposal tensor per image \(2\), got 1/);
});
