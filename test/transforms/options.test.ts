// Every transform rejects option names it does not know, saying which it meant.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const T = nb.transforms;

test("transforms: unknown options are errors with did-you-mean and the list", () => {
  const bad: [string, () => unknown, RegExp][] = [
    ["RandomCrop", () => new T.RandomCrop(28, { padding: 2, pad_if_needed: true } as any), /^RandomCrop: unknown option "pad_if_needed" \(did you mean "padIfNeeded"\?\); the options are padding, padIfNeeded, fill, paddingMode, generator$/],
    ["RandomResizedCrop", () => new T.RandomResizedCrop(24, { scales: [0.5, 1] } as any), /^RandomResizedCrop: unknown option "scales" \(did you mean "scale"\?\)/],
    ["Resize", () => new T.Resize(32, { max_size: 64 } as any), /^Resize: unknown option "max_size" \(did you mean "maxSize"\?\); the options are interpolation, maxSize$/],
    ["RandomRotation", () => new T.RandomRotation(10, { expand: true } as any), /^RandomRotation: unknown option "expand"; the options are interpolation, fill, center, generator$/],
    ["rotate", () => T.rotate(nb.zeros([1, 4, 4]), 10, { centre: [1, 1] } as any), /^rotate: unknown option "centre" \(did you mean "center"\?\)/],
    ["RandomAffine", () => new T.RandomAffine({ degree: 10 } as any), /^RandomAffine: unknown option "degree" \(did you mean "degrees"\?\)/],
    ["affine", () => T.affine(nb.zeros([1, 4, 4]), { angles: 10 } as any), /^affine: unknown option "angles" \(did you mean "angle"\?\)/],
    ["ColorJitter", () => new T.ColorJitter({ brightnes: 0.2 } as any), /^ColorJitter: unknown option "brightnes" \(did you mean "brightness"\?\)/],
    ["GaussianNoise", () => new T.GaussianNoise(0.1, { clamp: true } as any), /^GaussianNoise: unknown option "clamp"; the options are mean, clip, generator$/],
    ["GaussianBlur", () => new T.GaussianBlur(3, 1, { seed: 1 } as any), /^GaussianBlur: unknown option "seed"; the options are generator$/],
    ["RandomHorizontalFlip", () => new T.RandomHorizontalFlip(0.5, { generater: new nb.Generator(1) } as any), /^RandomHorizontalFlip: unknown option "generater" \(did you mean "generator"\?\)/],
    ["RandomVerticalFlip", () => new T.RandomVerticalFlip(0.5, { p: 1 } as any), /^RandomVerticalFlip: unknown option "p"; the options are generator$/],
    ["Standardize", () => new T.Standardize({ with_mean: false } as any), /^Standardize: unknown option "with_mean"; the options are ddof$/],
    ["MinMaxScale", () => new T.MinMaxScale({ feature_range: [0, 1] } as any), /^MinMaxScale: unknown option "feature_range" \(did you mean "featureRange"\?\)/],
  ];
  for (const [name, make, pattern] of bad) {
    try {
      make();
    } catch (e) {
      assert.ok(e instanceof TypeError, `${name}: a TypeError`);
      assert.match(e.message, pattern, name);
      continue;
    }
    assert.fail(`${name}: an unknown option was accepted`);
  }
  // The same options spelt right are accepted.
  new T.RandomCrop(28, { padding: 2, padIfNeeded: true });
  new T.Resize(32, { maxSize: 64 });
  new T.MinMaxScale({ featureRange: [0, 1] });
});

test("Compose takes any object with apply(x), not only nb.transforms classes", () => {
  const double = { apply: (t: nb.Tensor) => t.mul(2) };
  const c = new T.Compose([double, (t: nb.Tensor) => t.add(1)]);
  assertClose(c.apply(nb.tensor([1, 2])), [3, 5]);
  // @ts-expect-error not a transform
  assertThrowsMatching(() => new T.Compose([{ forward: () => 0 }]), /Compose: element 0 is not a transform \(an object with apply\(x\) or a function\), got object/);
});
