// nb.io.SummaryWriter: the event files are decoded by an independent reader (test/helpers/
// tfevents-reader.ts: its own CRC-32C, TFRecord unframing and protobuf wire decoding) and checked
// for framing, CRCs, the file_version header, and every value written.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, basename } from "node:path";
import { spawnSync } from "node:child_process";
import pngjs from "pngjs";
import * as nb from "../../src/index.js";
import { crc32c, maskedCrc32c } from "../../src/io/tensorboard/crc32c.js";
import { frameRecord } from "../../src/io/tensorboard/record-writer.js";
import {
  crc32cBitwise, maskBitwise, readRecords, readEventFile, eventFiles, scalarsIn, decodeFields, messages, message, text, varint, double,
  type DecodedEvent, type DecodedValue,
} from "../helpers/tfevents-reader.js";

const { SummaryWriter } = nb.io;
const tmp = () => mkdtempSync(join(tmpdir(), "nabla-tb-"));
const f32 = (x: number) => Math.fround(x);

/** The one event file in `dir`, decoded; the first event is the file_version header. */
function onlyFile(dir: string): DecodedEvent[] {
  const files = eventFiles(dir);
  assert.equal(files.length, 1, `one event file in ${dir}, found ${files.join(", ")}`);
  const events = readEventFile(files[0]);
  assert.equal(events[0].fileVersion, "brain.Event:2");
  assert.equal(events[0].values.length, 0);
  return events.slice(1);
}

function valuesTagged(events: DecodedEvent[], tag: string): { step: number; value: DecodedValue }[] {
  return events.flatMap((e) => e.values.filter((v) => v.tag === tag).map((value) => ({ step: e.step, value })));
}

test("CRC-32C: the check value of \"123456789\" is 0xE3069283, and the table and bitwise forms agree", () => {
  const check = new TextEncoder().encode("123456789");
  assert.equal(crc32c(check), 0xe3069283);
  assert.equal(crc32cBitwise(check), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720's 32 zero bytes
  const random = Uint8Array.from({ length: 1000 }, (_, i) => (i * 2654435761) >>> 24);
  for (const n of [0, 1, 7, 255, 1000]) {
    assert.equal(crc32c(random.subarray(0, n)), crc32cBitwise(random.subarray(0, n)), `length ${n}`);
    assert.equal(maskedCrc32c(random.subarray(0, n)), maskBitwise(crc32cBitwise(random.subarray(0, n))), `masked, length ${n}`);
  }
});

test("TFRecord framing: length, masked CRC of the length, data, masked CRC of the data", () => {
  const data = new TextEncoder().encode("hello, tensorboard");
  const rec = frameRecord(data);
  assert.equal(rec.length, 8 + 4 + data.length + 4);
  const view = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  assert.equal(view.getBigUint64(0, true), BigInt(data.length));
  assert.equal(view.getUint32(8, true), maskBitwise(crc32cBitwise(rec.subarray(0, 8))));
  assert.deepEqual(rec.subarray(12, 12 + data.length), data);
  assert.equal(view.getUint32(12 + data.length, true), maskBitwise(crc32cBitwise(data)));
  assert.deepEqual(readRecords(rec), [data]);
  // The reader notices damage, so the checks below can fail.
  const damaged = rec.slice();
  damaged[14] ^= 1;
  assert.throws(() => readRecords(damaged), /bad data CRC/);
  const badLength = rec.slice();
  badLength[0] ^= 1;
  assert.throws(() => readRecords(badLength), /bad length CRC/);
});

test("addScalar: file name, brain.Event:2 header, steps, wall times and values, every record CRC-checked", () => {
  const dir = tmp();
  const w = new SummaryWriter(dir, { filenameSuffix: ".v2" });
  const values = [2.5, 0, -1e-3, 123456.789, NaN];
  values.forEach((v, i) => w.addScalar("loss", v, i * 10));
  w.addScalar("acc", nb.tensor([0.75]), 3, 1700000000.25);
  w.addScalar("no_step", 1);
  w.close();
  const name = basename(eventFiles(dir)[0]);
  assert.match(name, new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\..+\\.${process.pid}\\.\\d+\\.v2$`));
  const secs = Number(name.split(".")[3]);
  assert.ok(Math.abs(secs - Date.now() / 1000) < 600, `file time ${secs}`);
  const events = onlyFile(dir);
  const loss = valuesTagged(events, "loss");
  assert.deepEqual(loss.map((l) => l.step), [0, 10, 20, 30, 40]);
  loss.forEach((l, i) => assert.ok(Object.is(l.value.simpleValue, f32(values[i])), `value ${i}: ${l.value.simpleValue}`));
  const acc = events.find((e) => e.values[0]?.tag === "acc")!;
  assert.equal(acc.step, 3);
  assert.equal(acc.wallTime, 1700000000.25);
  assert.equal(acc.values[0].simpleValue, 0.75);
  const noStep = events.find((e) => e.values[0]?.tag === "no_step")!;
  assert.equal(noStep.step, 0);
  assert.ok(Math.abs(noStep.wallTime - Date.now() / 1000) < 60);
});

test("addScalars: one sub-run folder per key, <mainTag>_<key>, each with the main tag", () => {
  const dir = tmp();
  const w = new SummaryWriter(dir);
  for (let step = 0; step < 3; step++) w.addScalars("loss/all", { train: 1 / (step + 1), val: 2 / (step + 1) }, step);
  w.close();
  assert.deepEqual(readdirSync(dir).filter((n) => !n.startsWith("events.")).sort(), ["loss_all_train", "loss_all_val"]);
  const train = scalarsIn(join(dir, "loss_all_train")).get("loss/all");
  const val = scalarsIn(join(dir, "loss_all_val")).get("loss/all");
  assert.deepEqual(train, [[0, 1], [1, f32(0.5)], [2, f32(1 / 3)]]);
  assert.deepEqual(val, [[0, 2], [1, 1], [2, f32(2 / 3)]]);
});

/** TensorFlow's default edges, computed here independently: ±1e-12·1.1^k below 1e20, and 0. */
function tfEdges(): number[] {
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  return [...pos.map((v) => -v).reverse(), 0, ...pos];
}

test("addHistogram: TensorFlow's buckets, counts summing to n, each value in its bucket, statistics", () => {
  nb.manualSeed(3);
  const dir = tmp();
  const w = new SummaryWriter(dir);
  const x = nb.randn([40, 25]);
  w.addHistogram("weights", x, 7);
  w.addHistogram("counts", [1, 2, 3, 4], 8, { bins: 3 });
  w.addHistogram("edges", [0.5, 1.5, 1.7, 9], 9, { bins: [0, 1, 2, 3, 4] });
  w.close();
  const events = onlyFile(dir);
  const [{ step, value }] = valuesTagged(events, "weights");
  assert.equal(step, 7);
  const h = value.histo!;
  const data = Array.from(x.dataSync());
  assert.equal(h.num, 1000);
  assert.equal(h.bucket.reduce((a, b) => a + b, 0), 1000);
  assert.equal(h.min, Math.min(...data));
  assert.equal(h.max, Math.max(...data));
  assert.ok(Math.abs(h.sum - data.reduce((a, b) => a + b, 0)) < 1e-9);
  assert.ok(Math.abs(h.sumSquares - data.reduce((a, b) => a + b * b, 0)) < 1e-9);
  // The limits are a run of consecutive TensorFlow edges; bucket i holds [limit[i-1], limit[i]).
  const edges = tfEdges();
  const first = edges.indexOf(h.bucketLimit[0]);
  assert.ok(first > 0, "the first limit is a TensorFlow edge");
  assert.deepEqual(h.bucketLimit, edges.slice(first, first + h.bucketLimit.length));
  assert.equal(h.bucket.length, h.bucketLimit.length);
  const expected = h.bucketLimit.map((hi, i) => data.filter((v) => v >= (i === 0 ? edges[first - 1] : h.bucketLimit[i - 1]) && v < hi).length);
  assert.deepEqual(h.bucket, expected);
  assert.equal(h.bucket[0], 0, "an empty bucket left of the support keeps the lowest edge");
  assert.ok(h.bucket.at(-1)! > 0);
  // numpy.histogram([1,2,3,4], bins=3): edges 1,2,3,4, counts 1,1,2; torch adds an empty left bucket.
  const counts = valuesTagged(events, "counts")[0].value.histo!;
  assert.deepEqual(counts.bucketLimit, [1, 2, 3, 4]);
  assert.deepEqual(counts.bucket, [0, 1, 1, 2]);
  assert.deepEqual([counts.min, counts.max, counts.num, counts.sum, counts.sumSquares], [1, 4, 4, 10, 30]);
  // Given edges 0..4: counts 1,2,0,0 (9 lies outside the edges and is not counted, as numpy); the
  // support starts at the first bin, so an empty bucket with limit 0 goes in front.
  const given = valuesTagged(events, "edges")[0].value.histo!;
  assert.deepEqual(given.bucketLimit, [0, 1, 2]);
  assert.deepEqual(given.bucket, [0, 1, 2]);
  assert.deepEqual([given.num, given.max], [4, 9]);
});

test("addImage: a [C, H, W] tensor in [0, 1] becomes a PNG of those pixels (×255, truncated, as torch)", () => {
  const dir = tmp();
  const w = new SummaryWriter(dir);
  // 3 channels, 2 rows, 3 columns.
  const rgb = [
    [[0, 0.5, 1], [0.25, 0.75, 0.1]],
    [[1, 0, 0.2], [0.3, 0.4, 0.5]],
    [[0.6, 0.7, 0.8], [0.9, 1, 0]],
  ];
  w.addImage("rgb", nb.tensor(rgb), 1);
  w.addImage("gray", nb.tensor([[[0, 1], [0.5, 0.2]]]), 2);
  w.addImage("hwc", nb.tensor([[[0.1, 0.2, 0.3, 1]]]), 3, { dataformats: "HWC" });
  w.addImages("batch", nb.full([10, 1, 2, 2], 1), 4);
  w.close();
  const events = onlyFile(dir);
  const decode = (tag: string) => {
    const img = valuesTagged(events, tag)[0].value.image!;
    const png = pngjs.PNG.sync.read(Buffer.from(img.png));
    assert.equal(png.width, img.width);
    assert.equal(png.height, img.height);
    return { img, png };
  };
  const { img, png } = decode("rgb");
  assert.deepEqual([img.height, img.width, img.colorspace], [2, 3, 3]);
  for (let y = 0; y < 2; y++) {
    for (let x = 0; x < 3; x++) {
      const at = (y * 3 + x) * 4;
      assert.deepEqual([...png.data.subarray(at, at + 3)], [0, 1, 2].map((c) => Math.trunc(f32(rgb[c][y][x]) * 255)), `pixel ${y},${x}`);
    }
  }
  const gray = decode("gray");
  assert.deepEqual([gray.img.height, gray.img.width, gray.img.colorspace], [2, 2, 3]);
  assert.deepEqual([...gray.png.data.subarray(8, 12)], [127, 127, 127, 255], "one channel is repeated to RGB");
  const hwc = decode("hwc");
  assert.deepEqual([hwc.img.height, hwc.img.width, hwc.img.colorspace], [1, 1, 4]);
  assert.deepEqual([...hwc.png.data.subarray(0, 4)], [25, 51, 76, 255]);
  // Ten 2x2 images: a grid of 8 columns and 2 rows, black where the second row is not full.
  const batch = decode("batch");
  assert.deepEqual([batch.img.height, batch.img.width], [4, 16]);
  const pixel = (x: number, y: number) => [...batch.png.data.subarray((y * 16 + x) * 4, (y * 16 + x) * 4 + 3)];
  assert.deepEqual(pixel(15, 0), [255, 255, 255]);
  assert.deepEqual(pixel(3, 3), [255, 255, 255]);
  assert.deepEqual(pixel(4, 3), [0, 0, 0]);
});

test("addText: a DT_STRING tensor of shape [1] tagged <tag>/text_summary for the text plugin", () => {
  const dir = tmp();
  const w = new SummaryWriter(dir);
  const note = "epoch 3: **val_loss 0.41** — naïve ✓";
  w.addText("notes", note, 3);
  w.close();
  const [{ step, value }] = valuesTagged(onlyFile(dir), "notes/text_summary");
  assert.equal(step, 3);
  assert.equal(value.pluginName, "text");
  assert.equal(value.tensor!.dtype, 7); // DT_STRING
  assert.deepEqual(value.tensor!.shape, [1]);
  assert.deepEqual(value.tensor!.strings, [note]);
});

test("addHparams: experiment, session start and end for the hparams plugin in a run folder, and the metrics", () => {
  const dir = tmp();
  const w = new SummaryWriter(dir);
  w.addHparams({ lr: 0.01, optimizer: "adam", augment: true, skipped: undefined }, { "hparam/accuracy": 0.875 }, { runName: "trial-1", hparamDomainDiscrete: { optimizer: ["adam", "sgd"] } });
  w.close();
  const events = onlyFile(join(dir, "trial-1"));
  const tags = events.flatMap((e) => e.values.map((v) => v.tag));
  assert.deepEqual(tags, ["_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info", "hparam/accuracy"]);
  const content = (i: number) => {
    assert.equal(events[i].values[0].pluginName, "hparams");
    const data = decodeFields(events[i].values[0].pluginContent!);
    assert.equal(varint(data, 1) ?? 0n, 0n, "plugin data version 0");
    return data;
  };
  // HParamsPluginData.experiment (2): hparam_infos (4) {name 1, type 4, domain_discrete 5}, metric_infos (5) {name 1 {tag 2}}.
  const experiment = message(content(0), 2)!;
  const infos = messages(experiment, 4).map((i) => [text(i, 1), Number(varint(i, 4))]);
  assert.deepEqual(infos, [["lr", 3], ["optimizer", 1], ["augment", 2]]); // FLOAT64, STRING, BOOL
  const domain = message(messages(experiment, 4)[1], 5)!;
  assert.deepEqual(messages(domain, 1).map((v) => text(v, 3)), ["adam", "sgd"]);
  assert.deepEqual(messages(experiment, 5).map((m) => text(message(m, 1)!, 2)), ["hparam/accuracy"]);
  // session_start_info (3): hparams map (1) of {key 1, google.protobuf.Value 2}.
  const start = message(content(1), 3)!;
  const hp = new Map(messages(start, 1).map((entry) => [text(entry, 1), message(entry, 2)!]));
  assert.equal(double(hp.get("lr")!, 2), 0.01);
  assert.equal(text(hp.get("optimizer")!, 3), "adam");
  assert.equal(varint(hp.get("augment")!, 4), 1n);
  assert.equal(hp.has("skipped"), false);
  // session_end_info (4): status (1) STATUS_SUCCESS = 1.
  assert.equal(varint(message(content(2), 4)!, 1), 1n);
  assert.equal(events[3].values[0].simpleValue, 0.875);
});

test("writes are buffered until flush, maxQueue or close, and never lost", () => {
  const dir = tmp();
  const w = new SummaryWriter(dir, { maxQueue: 3 });
  const file = w.eventFile;
  w.addScalar("a", 1, 0);
  assert.equal(readEventFile(file).length, 1, "only the header before a flush");
  w.flush();
  assert.equal(readEventFile(file).length, 2);
  w.addScalar("a", 2, 1);
  w.addScalar("a", 3, 2);
  w.addScalar("a", 4, 3);
  assert.equal(readEventFile(file).length, 5, "maxQueue pending events force a flush");
  w.addScalar("a", 5, 4);
  w.close();
  assert.deepEqual(scalarsIn(dir).get("a")?.map(([, v]) => v), [1, 2, 3, 4, 5]);
  // After close, as torch, a new write opens a new event file.
  w.addScalar("a", 6, 5);
  w.close();
  assert.equal(eventFiles(dir).length, 2);
});

test("events still pending when the process exits are written by the exit hook", () => {
  const dir = tmp();
  const script = join(dir, "exit.ts");
  const src = join(import.meta.dirname, "..", "..", "src", "io", "tensorboard", "summary-writer.ts");
  writeFileSync(script, `import { SummaryWriter } from ${JSON.stringify(src)};\nconst w = new SummaryWriter(${JSON.stringify(join(dir, "run"))});\nw.addScalar("x", 42, 7);\nprocess.exit(0);\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(scalarsIn(join(dir, "run")).get("x"), [[7, 42]]);
});

test("bad input: one clear error naming the method, the tag or the path", () => {
  const dir = tmp();
  const w = new SummaryWriter(dir);
  assert.throws(() => w.addScalar("", 1), /addScalar: tag must be a non-empty string/);
  assert.throws(() => w.addScalar("x", nb.zeros([2])), /addScalar\("x"\): the value must be a number or a one-element Tensor, got a tensor of shape \[2\]/);
  assert.throws(() => w.addScalar("x", 1, 1.5), /addScalar: globalStep must be an integer, got 1.5/);
  assert.throws(() => w.addHistogram("h", [1, NaN]), /addHistogram\("h"\): value 1 is NaN; a histogram needs finite values/);
  assert.throws(() => w.addHistogram("h", []), /addHistogram\("h"\): no values/);
  assert.throws(() => w.addHistogram("h", [1], 0, { bins: [2, 1] }), /bin edges must increase/);
  assert.throws(() => w.addHistogram("h", [1], 0, { bin: 3 } as never), /addHistogram: unknown option "bin" \(did you mean "bins"\?\)/);
  assert.throws(() => w.addImage("i", nb.zeros([2, 4, 4])), /addImage\("i"\): an image needs 1, 3 or 4 channels, got 2 \(shape \[2, 4, 4\]/);
  assert.throws(() => w.addImage("i", nb.zeros([4, 4, 3]), 0, { dataformats: "NCHW" }), /dataformats "NCHW" does not fit an image of shape \[4, 4, 3\]; use a permutation of CHW/);
  assert.throws(() => w.addHparams({ lr: [1, 2] as never }, {}), /addHparams: hyperparameter "lr" must be a number, string, boolean or one-element Tensor/);
  assert.throws(() => new SummaryWriter(dir, { flush_secs: 5 } as never), /SummaryWriter: unknown option "flush_secs" \(did you mean "flushSecs"\?\)/);
  w.close();
  const file = join(dir, "a-file");
  writeFileSync(file, "");
  assert.throws(() => new SummaryWriter(join(file, "run")), (e: Error) => e.message.includes(join(file, "run")) && /cannot create the log folder/.test(e.message));
  assert.ok(readFileSync(file).length === 0);
});
