// A Faster R-CNN built by torchvision's own FasterRCNN class (small backbone, seeded weights
// stored in the fixture) and the same one here: proposals, detections, the four training losses
// and gradients agree; fasterrcnnResnet50Fpn has fasterrcnn_resnet50_fpn's state-dict keys and shapes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";
import { decodeFixture, type Enc } from "../helpers/fixture-tensor.js";
import { AnchorGenerator } from "../../src/detection/anchor-generator.js";
import { MultiScaleRoIAlign } from "../../src/detection/multi-scale-roi-align.js";
import {
  FasterRCNN, FastRCNNPredictor, SmallBackbone, TwoMLPHead, fasterrcnnResnet18Fpn, fasterrcnnResnet50Fpn, type FasterRCNNOptions,
} from "../../src/detection/faster-rcnn.js";
import { formulaInput, setFormulaWeights } from "../models/formula-weights.js";
import type { RCNNDetection } from "../../src/detection/image-list.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fx: any = JSON.parse(readFileSync(new URL("../fixtures/faster_rcnn.json", import.meta.url), "utf8"));
const dec = (e: Enc) => decodeFixture(e);

/** The fixture's pixels: ((i·7919 + 31·k) mod 251) / 250 over the flattened [C, H, W] image k. */
function formulaImage(c: number, h: number, w: number, k: number): nb.Tensor {
  const v = new Float32Array(c * h * w);
  for (let i = 0; i < v.length; i++) v[i] = ((i * 7919 + 31 * k) % 251) / 250;
  return nb.tensor(v, { shape: [c, h, w] });
}

function tinyModel(extra: FasterRCNNOptions = {}): FasterRCNN {
  const model = new FasterRCNN(new SmallBackbone([8, 16, 8]), {
    minSize: 64, maxSize: 96,
    rpnAnchorGenerator: new AnchorGenerator({ sizes: [[16, 32, 64]], aspectRatios: [[0.5, 1, 2]] }),
    boxRoiPool: new MultiScaleRoIAlign({ featmapNames: ["0"], outputSize: 7, samplingRatio: 2 }),
    boxHead: new TwoMLPHead(8 * 7 * 7, 16), boxPredictor: new FastRCNNPredictor(16, 4),
    rpnPreNmsTopNTest: 60, rpnPostNmsTopNTest: 30, ...extra,
  });
  const sd = new Map(Object.entries(fx.tiny.stateDict as Record<string, Enc>).map(([k, e]) => [k, dec(e)]));
  model.loadStateDict(sd);
  return model;
}

const images = () => [formulaImage(3, 50, 70, 0), formulaImage(3, 64, 48, 1)];

/** Detections as sorted rows "label score box", so a swap of two near-equal scores does not fail the test. */
function assertDetectionsClose(got: RCNNDetection, want: { boxes: Enc; labels: Enc; scores: Enc }, msg: string): void {
  const rows = (b: nb.Tensor, l: nb.Tensor, s: nb.Tensor) => {
    const bd = b.dataSync(), ld = l.dataSync(), sd = s.dataSync();
    return Array.from(ld, (lab, i) => [Number(lab), sd[i], bd[4 * i], bd[4 * i + 1], bd[4 * i + 2], bd[4 * i + 3]])
      .sort((p, q) => p[0] - q[0] || q[1] - p[1]);
  };
  const a = rows(got.boxes, got.labels, got.scores), e = rows(dec(want.boxes), dec(want.labels), dec(want.scores));
  assert.equal(a.length, e.length, `${msg}: number of detections`);
  a.forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - e[i][j]) <= 2e-4 + 2e-4 * Math.abs(e[i][j]), `${msg} detection ${i} field ${j}: got ${v}, expected ${e[i][j]}`)));
}

test("FasterRCNN (torchvision layout, small backbone): eval proposals and detections equal torchvision's", () => {
  const model = tinyModel().eval();
  const captured: { boxes?: nb.Tensor[]; batch?: nb.Tensor; sizes?: [number, number][] } = {};
  const rpnForward = model.rpn.forward.bind(model.rpn);
  model.rpn.forward = (il, feats, targets) => {
    const out = rpnForward(il, feats, targets);
    Object.assign(captured, { boxes: out.boxes, batch: il.tensors, sizes: il.imageSizes });
    return out;
  };
  const dets = nb.noGrad(() => model.detect(images()));
  const e = fx.tiny.eval;
  assert.deepEqual(captured.sizes, e.imageSizes);
  assert.deepEqual(captured.batch!.shape, e.batchedShape);
  assertClose(captured.batch!.slice(2, 0, Infinity, 8).slice(3, 0, Infinity, 8).contiguous(), dec(e.batchedStrided), { rtol: 1e-5, atol: 1e-5 });
  e.proposals.forEach((p: Enc, i: number) => assertClose(captured.boxes![i], dec(p), { rtol: 1e-4, atol: 2e-4, msg: `proposals of image ${i}` }));
  e.detections.forEach((d: { boxes: Enc; labels: Enc; scores: Enc }, i: number) => assertDetectionsClose(dets[i], d, `image ${i}`));
});

test("fasterrcnnResnet18Fpn (FPN, 5 anchor levels, multi-scale RoIAlign, frozen batch norm) with formula weights: torchvision's feature maps, proposals and detections", () => {
  const model = fasterrcnnResnet18Fpn({ numClasses: 5, minSize: 64, maxSize: 64, rpnPreNmsTopNTest: 100, rpnPostNmsTopNTest: 50, initWeights: false });
  setFormulaWeights(model);
  model.eval();
  const e = fx.resnet18Fpn;
  const captured: { boxes?: nb.Tensor[]; shapes?: Record<string, number[]> } = {};
  const rpnForward = model.rpn.forward.bind(model.rpn);
  model.rpn.forward = (il, feats, targets) => {
    const out = rpnForward(il, feats, targets);
    captured.boxes = out.boxes;
    captured.shapes = Object.fromEntries(["0", "1", "2", "3", "pool"].map((k, i) => [k, feats[i].shape]));
    return out;
  };
  const dets = nb.noGrad(() => model.detect([formulaInput([3, 60, 80]), formulaImage(3, 70, 50, 1)]));
  assert.deepEqual(captured.shapes, e.featureShapes);
  e.proposals.forEach((p: Enc, i: number) => assertClose(captured.boxes![i], dec(p), { rtol: 1e-4, atol: 2e-3, msg: `proposals of image ${i}` }));
  e.detections.forEach((d: { boxes: Enc; labels: Enc; scores: Enc }, i: number) => assertDetectionsClose(dets[i], d, `image ${i}`));
});

test("FasterRCNN training: the four losses and gradients equal torchvision's when the samplers keep everything (one image without objects)", () => {
  const model = tinyModel({ rpnPreNmsTopNTrain: 5000, rpnPostNmsTopNTrain: 5000, rpnNmsThresh: 1, rpnBatchSizePerImage: 100000, boxBatchSizePerImage: 100000 }).train();
  const targets = fx.tiny.train.targets.map((t: { boxes: Enc; labels: Enc }) => ({ boxes: dec(t.boxes), labels: dec(t.labels) }));
  const losses = model.losses(images(), targets);
  for (const [k, v] of Object.entries(fx.tiny.train.losses as Record<string, number>)) {
    assertClose(losses[k as keyof typeof losses], v, { rtol: 1e-4, atol: 1e-6, msg: k });
  }
  nb.add(nb.add(losses.loss_classifier, losses.loss_box_reg), nb.add(losses.loss_objectness, losses.loss_rpn_box_reg)).backward();
  const params = new Map(model.namedParameters());
  for (const [k, g] of Object.entries(fx.tiny.train.grads as Record<string, Enc>)) {
    assertClose(params.get(k)!.grad!, dec(g), { rtol: 1e-3, atol: 1e-5, msg: `grad of ${k}` });
  }
});

test("FasterRCNN training: bad targets are errors naming the target; no targets in training mode is an error", () => {
  const model = tinyModel().train();
  const img = [formulaImage(3, 32, 32, 0)];
  assert.throws(() => model.forward(img), /targets should be given in training mode/);
  assert.throws(() => model.forward(img, [{ boxes: nb.tensor([[5, 5, 3, 9]]), labels: nb.tensor([1], { dtype: "int32" }) }]),
    /all bounding boxes should have positive height and width; found invalid box \[5, 5, 3, 9\] for target at index 0/);
  assert.throws(() => model.forward(img, [{ boxes: nb.zeros([1, 5]), labels: nb.tensor([1], { dtype: "int32" }) }]), /shape \[N, 4\], got \[1, 5\]/);
  assert.throws(() => model.forward(img, [{ boxes: nb.tensor([[1, 1, 5, 5]]), labels: nb.tensor([1]) }]), /labels must be int32 \[1\]/);
});

test("FasterRCNN: no proposals at all (an RPN score threshold above 1) gives finite losses and empty detections", () => {
  const model = tinyModel({ rpnScoreThresh: 1.1 }).train();
  const empty = { boxes: nb.zeros([0, 4]), labels: nb.zeros([0], { dtype: "int32" }) };
  const losses = model.losses([formulaImage(3, 32, 32, 0)], [empty]);
  assert.deepEqual(Object.values(losses).map((l) => Number.isFinite(l.item())), [true, true, true, true]);
  assert.equal(losses.loss_classifier.item(), 0);
  const [d] = nb.noGrad(() => model.eval().detect([formulaImage(3, 32, 32, 0)]));
  assert.deepEqual([d.boxes.shape, d.labels.shape, d.scores.shape], [[0, 4], [0], [0]]);
});

test("fasterrcnnResnet50Fpn: torchvision's state-dict keys and shapes (frozen batch norm), 41,755,286 parameters with batch norm", () => {
  const model = fasterrcnnResnet50Fpn({ initWeights: false });
  const entries = [...model.stateDict()].map(([k, t]) => `${k}:${t.shape.join(",")}`);
  assert.deepEqual(entries, fx.resnet50Fpn.entries);
  const trainable = model.namedParameters().filter(([, p]) => p.requiresGrad);
  assert.equal(trainable.length, fx.resnet50Fpn.trainable);
  assert.equal(trainable[0][0], fx.resnet50Fpn.trainableFirst);
  const plain = fasterrcnnResnet50Fpn({ initWeights: false, frozenBatchNorm: false, trainableLayers: 5 });
  assert.equal(plain.stateDict().size, fx.resnet50Fpn.plainEntries);
  assert.equal(plain.parameters().reduce((n, p) => n + p.numel(), 0), fx.resnet50Fpn.numParams);
});
