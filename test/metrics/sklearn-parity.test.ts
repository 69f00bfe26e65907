// nb.metrics against scikit-learn 1.2 (fixtures from scripts/fixtures/metrics.py): every metric,
// every average mode and zeroDivision, one-shot and streamed over uneven batches.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";

type Num = number | "NaN";
interface PrfEntry {
  average: nb.metrics.Average;
  zeroDivision: 0 | 1;
  labels?: number[];
  posLabel?: number;
  precision: Num | Num[];
  recall: Num | Num[];
  f1: Num | Num[];
}
interface ReportEntry {
  digits: number;
  zeroDivision: 0 | 1;
  labels?: number[];
  targetNames?: string[];
  text: string;
  dict: Record<string, Num | Record<string, Num>>;
}
interface Case {
  name: string;
  predShape: number[];
  predDtype: "int32" | "float32" | "float64";
  yPred: number[];
  yTrue: number[];
  numClasses: number;
  numClassesOption?: number;
  accuracy: number;
  confusion: number[][];
  topk?: Record<string, number>;
  prf: PrfEntry[];
  reports: ReportEntry[];
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/metrics.json", import.meta.url), "utf8")) as { sklearn: string; cases: Case[] };
const decode = (x: Num): number => (x === "NaN" ? NaN : x);

/** Equal up to float64 summation order (numpy sums pairwise); NaN must match NaN. */
function assertSame(actual: number | number[], expected: Num | Num[], msg: string): void {
  const a = Array.isArray(actual) ? actual : [actual];
  const e = Array.isArray(expected) ? expected.map(decode) : [decode(expected)];
  assert.equal(Array.isArray(actual), Array.isArray(expected), `${msg}: array vs number`);
  assert.equal(a.length, e.length, `${msg}: length`);
  for (let i = 0; i < e.length; i++) {
    if (Number.isNaN(e[i])) assert.ok(Number.isNaN(a[i]), `${msg}[${i}]: expected NaN, got ${a[i]}`);
    else assert.ok(Math.abs(a[i] - e[i]) <= 1e-12 * Math.max(1, Math.abs(e[i])), `${msg}[${i}]: got ${a[i]}, expected ${e[i]}`);
  }
}

function tensorsOf(c: Case): [nb.Tensor, nb.Tensor] {
  const yPred = nb.tensor(c.yPred, { dtype: c.predDtype }).reshape(c.predShape);
  return [yPred, nb.tensor(c.yTrue, { dtype: "int32" })];
}

/** Uneven batches: 1, 4, 2, 7, then the rest in 9s. */
function batches(yPred: nb.Tensor, yTrue: nb.Tensor): [nb.Tensor, nb.Tensor][] {
  const n = yTrue.shape[0];
  const sizes = [1, 4, 2, 7];
  const out: [nb.Tensor, nb.Tensor][] = [];
  for (let start = 0, i = 0; start < n; i++) {
    const end = Math.min(n, start + (sizes[i] ?? 9));
    out.push([yPred.slice(0, start, end), yTrue.slice(0, start, end)]);
    start = end;
  }
  return out;
}

function streamed<M extends nb.metrics.Metric>(m: M, yPred: nb.Tensor, yTrue: nb.Tensor): M {
  for (const [p, t] of batches(yPred, yTrue)) m.update(p, t);
  return m;
}

test(`fixture comes from scikit-learn (${fixture.sklearn}) and covers every mode`, () => {
  assert.ok(fixture.cases.length >= 8);
  const averages = new Set(fixture.cases.flatMap((c) => c.prf.map((e) => String(e.average))));
  assert.deepEqual([...averages].sort(), ["binary", "macro", "micro", "null", "weighted"]);
});

for (const c of fixture.cases) {
  const numClasses = c.numClassesOption;

  test(`${c.name}: accuracy and confusion matrix`, () => {
    const [yPred, yTrue] = tensorsOf(c);
    assertSame(nb.metrics.accuracy(yPred, yTrue, { numClasses }), c.accuracy, "accuracy");
    assert.deepEqual(nb.metrics.confusionMatrix(yPred, yTrue, { numClasses }), c.confusion);
    assertSame(streamed(new nb.metrics.Accuracy({ numClasses }), yPred, yTrue).compute(), c.accuracy, "streamed accuracy");
    assert.deepEqual(streamed(new nb.metrics.ConfusionMatrix(numClasses), yPred, yTrue).compute(), c.confusion);
  });

  if (c.topk) {
    test(`${c.name}: top-k accuracy for every k`, () => {
      const [yPred, yTrue] = tensorsOf(c);
      for (const [k, expected] of Object.entries(c.topk!)) {
        assertSame(nb.metrics.topKAccuracy(yPred, yTrue, Number(k)), expected, `top-${k}`);
        assertSame(streamed(new nb.metrics.TopKAccuracy(Number(k)), yPred, yTrue).compute(), expected, `streamed top-${k}`);
      }
    });
  }

  test(`${c.name}: precision, recall and F1 in every average mode`, () => {
    const [yPred, yTrue] = tensorsOf(c);
    for (const e of c.prf) {
      const opts: nb.metrics.PrecisionRecallOptions = { average: e.average, zeroDivision: e.zeroDivision, labels: e.labels, posLabel: e.posLabel, numClasses };
      const what = `average ${e.average}, zeroDivision ${e.zeroDivision}${e.labels ? `, labels [${e.labels}]` : ""}${e.posLabel !== undefined ? `, posLabel ${e.posLabel}` : ""}`;
      assertSame(nb.metrics.precision(yPred, yTrue, opts), e.precision, `precision (${what})`);
      assertSame(nb.metrics.recall(yPred, yTrue, opts), e.recall, `recall (${what})`);
      assertSame(nb.metrics.f1(yPred, yTrue, opts), e.f1, `f1 (${what})`);
      assertSame(streamed(new nb.metrics.Precision(opts), yPred, yTrue).compute(), e.precision, `streamed precision (${what})`);
      assertSame(streamed(new nb.metrics.Recall(opts), yPred, yTrue).compute(), e.recall, `streamed recall (${what})`);
      assertSame(streamed(new nb.metrics.F1(opts), yPred, yTrue).compute(), e.f1, `streamed f1 (${what})`);
    }
  });

  if (c.reports.length > 0) {
    test(`${c.name}: classification report text and numbers`, () => {
      const [yPred, yTrue] = tensorsOf(c);
      for (const r of c.reports) {
        const opts = { digits: r.digits, zeroDivision: r.zeroDivision, labels: r.labels, targetNames: r.targetNames };
        const report = nb.metrics.classificationReport(yPred, yTrue, { ...opts, numClasses });
        assert.equal(report.toString(), r.text);
        assert.equal(String(report), r.text);
        const cm = streamed(new nb.metrics.ConfusionMatrix(numClasses), yPred, yTrue);
        assert.equal(cm.report(opts).toString(), r.text, "report from the streamed confusion matrix");
        for (const row of report.classes) {
          const e = r.dict[row.name] as Record<string, Num>;
          assertSame([row.precision, row.recall, row.f1, row.support], [e.precision, e.recall, e["f1-score"], e.support], `report row ${row.name}`);
        }
        for (const [key, avg] of [["macro avg", report.macroAvg], ["weighted avg", report.weightedAvg]] as const) {
          const e = r.dict[key] as Record<string, Num>;
          assertSame([avg.precision, avg.recall, avg.f1, avg.support], [e.precision, e.recall, e["f1-score"], e.support], key);
        }
        if ("accuracy" in r.dict) assertSame(report.accuracy, r.dict.accuracy as Num, "report accuracy");
        else {
          const e = r.dict["micro avg"] as Record<string, Num>;
          assertSame([report.microAvg.precision, report.microAvg.recall, report.microAvg.f1], [e.precision, e.recall, e["f1-score"]], "micro avg");
        }
      }
    });
  }
}

test("binary probabilities: float 0/1 targets and the default 'binary' average", () => {
  const c = fixture.cases.find((x) => x.name === "binary: probabilities")!;
  const [yPred, yTrue] = tensorsOf(c);
  const floatTrue = yTrue.to("float32");
  const binary = c.prf.find((e) => e.average === "binary" && e.posLabel === 1 && e.zeroDivision === 0)!;
  assertSame(nb.metrics.precision(yPred, floatTrue), binary.precision, "default average on probabilities");
  assertSame(nb.metrics.recall(yPred.reshape([-1, 1]), floatTrue.reshape([-1, 1])), binary.recall, "[N, 1] probabilities");
  assertSame(streamed(new nb.metrics.F1(), yPred, floatTrue).compute(), binary.f1, "streamed default average");
  assertSame(nb.metrics.accuracy(yPred, floatTrue), c.accuracy, "accuracy with float targets");
});

test("streaming equals one-shot for every metric, and reset starts over", () => {
  const c = fixture.cases.find((x) => x.name === "scores: float32 logits, 10 classes")!;
  const [yPred, yTrue] = tensorsOf(c);
  const metrics = [
    new nb.metrics.Accuracy(), new nb.metrics.TopKAccuracy(5), new nb.metrics.Precision({ average: "weighted" }),
    new nb.metrics.Recall({ average: null }), new nb.metrics.F1({ average: "micro" }), new nb.metrics.ConfusionMatrix(),
  ];
  const oneShot = metrics.map((m) => {
    m.update(yPred, yTrue);
    const v = m.compute();
    m.reset();
    return v;
  });
  // Feed one epoch of garbage first: reset must forget it.
  for (const m of metrics) m.update(yPred.slice(0, 0, 5), nb.tensor([9, 9, 9, 9, 9], { dtype: "int32" }));
  for (const m of metrics) m.reset();
  for (const m of metrics) streamed(m, yPred, yTrue);
  metrics.forEach((m, i) => assert.deepEqual(m.compute(), oneShot[i], m.name));
  // Not the mean of batch accuracies: the uneven batches make that differ.
  const perBatch = batches(yPred, yTrue).map(([p, t]) => nb.metrics.accuracy(p, t));
  assert.notEqual(perBatch.reduce((a, b) => a + b, 0) / perBatch.length, oneShot[0]);
});
