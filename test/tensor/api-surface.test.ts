// API.md: "Every op is both a method and a function (a.add(b) and nb.add(a, b))".
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";

const OPS = ("add sub mul div pow neg abs exp log sqrt square sin cos maximum minimum clamp where eq ne lt le gt ge matmul " +
  "sum mean max min argmax argmin var std prod reshape view flatten transpose permute squeeze unsqueeze expand contiguous " +
  "slice narrow indexSelect gather cat stack split chunk pad relu sigmoid tanh softmax logSoftmax").split(" ");

test("every op of the API contract is a function of nb and a method of Tensor", () => {
  const t = nb.ones([2]);
  const missing = OPS.filter((o) => typeof (nb as unknown as Record<string, unknown>)[o] !== "function" || typeof (t as unknown as Record<string, unknown>)[o] !== "function");
  assert.deepEqual(missing, []);
});

test("method and function forms agree", () => {
  const a = nb.tensor([[1, 2], [3, 4]]), b = nb.tensor([10, 20]);
  assertClose(a.add(b), nb.add(a, b));
  assertClose(a.var(1), nb.var(a, 1));
  assertClose(a.cat([a], 0), nb.cat([a, a], 0));
  assertClose(a.stack([a], 1), nb.stack([a, a], 1));
  assertClose(a.softmax(1), nb.softmax(a, 1));
});
