// nb.nn.utils.rnn against PyTorch (test/fixtures/rnn_utils.json, from scripts/fixtures/rnn_utils.py):
// padSequence, packPaddedSequence (sorted and not, time-major and batchFirst), packSequence and
// padPackedSequence: packed data, batchSizes, sorted/unsorted indices, padded values, lengths, and
// gradients through each of them and through the pack → pad round trip, on cpu and native. Plus
// the errors torch raises (zero, too long or unsorted lengths, bad totalLength, empty lists).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";
import { decodeFixture, type Enc } from "../helpers/fixture-tensor.js";

const rnn = nb.nn.utils.rnn;

interface PackedEnc {
  data: Enc;
  batchSizes: number[];
  sortedIndices: number[] | null;
  unsortedIndices: number[] | null;
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/rnn_utils.json", import.meta.url), "utf8")) as {
  padSequence: { name: string; sequences: Enc[]; opts: nb.nn.utils.rnn.PadSequenceOptions; output: Enc; gy: Enc; grads: Enc[] }[];
  packPadded: {
    name: string; input: Enc; lengths: number[]; opts: nb.nn.utils.rnn.PackPaddedOptions; padOpts: nb.nn.utils.rnn.PadPackedOptions;
    packed: PackedEnc; gData: Enc; packGrad: Enc; padded: Enc; outLengths: number[]; gy: Enc; roundTripGrad: Enc;
  }[];
  packSequence: {
    name: string; sequences: Enc[]; opts: nb.nn.utils.rnn.PackSequenceOptions; padOpts: nb.nn.utils.rnn.PadPackedOptions;
    packed: PackedEnc; padded: Enc; outLengths: number[]; gy: Enc; grads: Enc[];
  }[];
};

const devices = nb.backendUnavailableReason("native") === undefined ? ["cpu", "native"] : ["cpu"];

function decode(e: Enc, device: string, requiresGrad = false): nb.Tensor {
  return decodeFixture(e, { device, requiresGrad });
}

/** Moving rows and adding at most one gradient per element: every value must be exact. */
function assertExact(t: nb.Tensor, e: Enc | nb.Tensor, msg: string): void {
  const expected = e instanceof nb.Tensor ? e : decode(e, "cpu");
  assert.deepEqual(t.shape, expected.shape, `${msg}: shape`);
  assert.deepEqual(Array.from(t.dataSync()), Array.from(expected.dataSync()), msg);
}

function assertPacked(p: nb.nn.utils.rnn.PackedSequence, e: PackedEnc, msg: string): void {
  assertExact(p.data, e.data, `${msg}: data`);
  assert.deepEqual([...p.batchSizes], e.batchSizes, `${msg}: batchSizes`);
  for (const key of ["sortedIndices", "unsortedIndices"] as const) {
    const t = p[key];
    assert.deepEqual(t === null ? null : Array.from(t.dataSync()), e[key], `${msg}: ${key}`);
    if (t) assert.equal(t.dtype, "int32");
  }
}

for (const device of devices) {
  for (const c of fixture.padSequence) {
    test(`padSequence matches torch on ${device}: ${c.name}`, () => {
      const xs = c.sequences.map((s) => decode(s, device, true));
      const y = rnn.padSequence(xs, c.opts);
      assertExact(y, c.output, "output");
      y.mul(decode(c.gy, device)).sum().backward();
      xs.forEach((x, i) => assertExact(x.grad!, c.grads[i], `gradient of sequence ${i}`));
    });
  }

  for (const c of fixture.packPadded) {
    test(`packPaddedSequence → padPackedSequence matches torch on ${device}: ${c.name}`, () => {
      const x = decode(c.input, device, true);
      // lengths as a number[] and as an int32 tensor give the same pack.
      const p = rnn.packPaddedSequence(x, c.lengths, c.opts);
      assertPacked(p, c.packed, "packed");
      assertPacked(rnn.packPaddedSequence(x, nb.tensor(c.lengths, { dtype: "int32", device }), c.opts), c.packed, "packed from a lengths tensor");
      p.data.mul(decode(c.gData, device)).sum().backward({ retainGraph: true });
      assertExact(x.grad!, c.packGrad, "gradient of the packing");
      x.zeroGrad();

      const [y, lengths] = rnn.padPackedSequence(p, c.padOpts);
      assertExact(y, c.padded, "padded");
      assert.equal(lengths.dtype, "int32");
      assert.equal(lengths.device, device);
      assert.deepEqual(Array.from(lengths.dataSync()), c.outLengths, "lengths");
      y.mul(decode(c.gy, device)).sum().backward();
      assertExact(x.grad!, c.roundTripGrad, "gradient of the pack → pad round trip");
    });
  }

  for (const c of fixture.packSequence) {
    test(`packSequence → padPackedSequence matches torch on ${device}: ${c.name}`, () => {
      const xs = c.sequences.map((s) => decode(s, device, true));
      const p = rnn.packSequence(xs, c.opts);
      assertPacked(p, c.packed, "packed");
      const [y, lengths] = rnn.padPackedSequence(p, c.padOpts);
      assertExact(y, c.padded, "padded");
      assert.deepEqual(Array.from(lengths.dataSync()), c.outLengths, "lengths");
      y.mul(decode(c.gy, device)).sum().backward();
      xs.forEach((x, i) => assertExact(x.grad!, c.grads[i], `gradient of sequence ${i}`));
    });
  }
}

test("padPackedSequence of a PackedSequence built by hand with only sortedIndices inverts them itself", () => {
  const data = nb.tensor([[1], [2], [3]]);
  const sorted = nb.tensor([1, 0], { dtype: "int32" });
  const [y, lengths] = rnn.padPackedSequence(new rnn.PackedSequence(data, [2, 1], sorted, null), { batchFirst: true });
  assert.deepEqual(y.toArray(), [[[2], [0]], [[1], [3]]]);
  assert.deepEqual(Array.from(lengths.dataSync()), [1, 2]);
});

test("rnn utils errors: lengths zero, too long, unsorted with enforceSorted, of the wrong count; empty lists; bad totalLength", () => {
  const x = nb.randn([4, 3, 2]);
  assertThrowsMatching(() => rnn.packPaddedSequence(x, [2, 3, 1]),
    /^packPaddedSequence: lengths \[2, 3, 1\] must be sorted in decreasing order when enforceSorted is true; pass enforceSorted: false/);
  assertThrowsMatching(() => rnn.packPaddedSequence(x, [4, 0, 1]), /^packPaddedSequence: every length must be greater than 0, but lengths \[4, 0, 1\] has 0 at index 1$/);
  assertThrowsMatching(() => rnn.packPaddedSequence(x, [5, 3, 1], { enforceSorted: false }),
    /^packPaddedSequence: lengths \[5, 3, 1\] has 5 at index 0, longer than the 4 time steps of the input$/);
  assertThrowsMatching(() => rnn.packPaddedSequence(x, [4, 3, 1], { batchFirst: true }), /packPaddedSequence: expected one length per sequence, 4 \(the batch of input \[4, 3, 2\], \[batch, time, \.\.\.\]\), got 3/);
  assertThrowsMatching(() => rnn.packPaddedSequence(x, nb.tensor([4, 3, 1])), /packPaddedSequence: lengths must be a number\[\] or a 1-d int32 tensor, got a float32 tensor/);
  assertThrowsMatching(() => rnn.packPaddedSequence(nb.randn([4]), [4]), /packPaddedSequence: input must be at least 2-d \[time, batch, \.\.\.\], got shape \[4\]/);
  assertThrowsMatching(() => rnn.packPaddedSequence(x, [4, 3, 1], { enforce_sorted: false } as never), /unknown option "enforce_sorted" \(did you mean "enforceSorted"\?\)/);
  assertThrowsMatching(() => rnn.packSequence([nb.randn([2, 2]), nb.randn([3, 2])]), /^packSequence: lengths \[2, 3\] must be sorted in decreasing order/);
  assertThrowsMatching(() => rnn.packSequence([nb.randn([2, 2]), nb.randn([0, 2])]), /^packSequence: every length must be greater than 0/);
  assertThrowsMatching(() => rnn.padSequence([]), /^padSequence: received an empty list of sequences$/);
  assertThrowsMatching(() => rnn.padSequence([nb.randn([2, 3]), nb.randn([2, 4])]), /padSequence: sequences\[1\] has shape \[2, 4\] but sequences\[0\] has \[2, 3\]/);
  assertThrowsMatching(() => rnn.padSequence([nb.randn([2])], { paddingSide: "top" as never }), /padSequence: paddingSide must be "right" or "left", got "top"/);
  const p = rnn.packPaddedSequence(x, [4, 3, 1]);
  assertThrowsMatching(() => rnn.padPackedSequence(p, { totalLength: 2 }), /padPackedSequence: totalLength must be at least the length of the longest sequence, 4, got 2/);
  assertThrowsMatching(() => rnn.padPackedSequence(x as never), /padPackedSequence: sequence must be a PackedSequence/);
  assertThrowsMatching(() => rnn.padPackedSequence(new rnn.PackedSequence(nb.randn([5, 2]), [3, 1])), /padPackedSequence: data has shape \[5, 2\] but batchSizes \[3, 1\] add up to 4 rows/);
});
