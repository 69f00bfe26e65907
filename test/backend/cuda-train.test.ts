// End to end on the cuda backend: it registers ahead of native and cpu where a GPU is present, and
// one Adam training step of the zoo's CNNs (the course's typical CNN with dropout, LeNet-5, and
// ResNet-18 with batch norm) gives the same loss, gradients and parameters as on the cpu backend,
// from the same seed (Philox draws match, so the inputs and dropout masks are identical).
// Skips with the reason without a GPU.
//
// Tolerances: loss within rtol 1e-4; gradients within 2e-3 of each parameter's largest gradient
// (float32 accumulation in cuBLAS/cuDNN, which may pick FFT/Winograd algorithms, against float64
// sums on cpu, through several layers); Adam's first step is ±lr wherever |g| is not tiny, so
// parameters there agree within 1e-5.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { skipCuda } from "./cuda-helpers.js";

test("cuda is listed first where a GPU is present, and new tensors land on it", { skip: skipCuda }, () => {
  assert.equal(nb.backends()[0], "cuda");
  assert.equal(nb.backendUnavailableReason("cuda"), undefined);
  assert.equal(nb.cuda.isAvailable(), true);
  assert.match(nb.cuda.device().name, /\w/);
  if (!process.env.NABLA_BACKEND) assert.equal(nb.tensor([1]).device, "cuda");
});

interface Step {
  loss: number;
  grads: Float32Array[];
  params: Float32Array[];
}

function oneStep(factory: () => nb.nn.Module, device: string, input: number[]): Step {
  nb.manualSeed(7);
  const model = factory().to(device);
  model.train();
  const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-2 });
  nb.manualSeed(11);
  const x = nb.rand(input, { device });
  const y = nb.randint(0, 10, [input[0]], { device });
  opt.zeroGrad();
  const loss = nb.nn.functional.crossEntropy(model.forward(x) as nb.Tensor, y);
  loss.backward();
  const grads = model.parameters().map((p) => Float32Array.from(p.grad!.dataSync() as Float32Array));
  opt.step();
  return { loss: loss.item(), grads, params: model.parameters().map((p) => Float32Array.from(p.dataSync() as Float32Array)) };
}

for (const [name, factory, input] of [
  ["typicalCnn (dropout)", () => nb.models.typicalCnn(), [16, 1, 28, 28]],
  ["lenet5", () => nb.models.lenet5(), [16, 1, 28, 28]],
  ["resnet18 (batch norm, 32x32)", () => nb.models.resnet18({ numClasses: 10 }), [4, 3, 32, 32]],
] as const) {
  test(`one Adam training step of ${name} on cuda equals cpu (loss, gradients and parameters)`, { skip: skipCuda }, () => {
    const onCpu = oneStep(factory as () => nb.nn.Module, "cpu", [...input]);
    const onCuda = oneStep(factory as () => nb.nn.Module, "cuda", [...input]);
    assert.ok(Math.abs(onCuda.loss - onCpu.loss) <= 1e-4 * Math.abs(onCpu.loss), `loss ${onCuda.loss} vs ${onCpu.loss}`);
    assert.equal(onCuda.params.length, onCpu.params.length);
    onCpu.grads.forEach((g, k) => {
      const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (let i = 0; i < g.length; i++) {
        assert.ok(Math.abs(onCuda.grads[k][i] - g[i]) <= 2e-3 * scale + 1e-7, `gradient ${k} element ${i}: ${onCuda.grads[k][i]} vs ${g[i]} (largest ${scale})`);
      }
      const p = onCpu.params[k];
      for (let i = 0; i < p.length; i++) {
        if (Math.abs(g[i]) < 1e-2 * scale || Math.abs(g[i]) < 1e-6) continue;
        assert.ok(Math.abs(onCuda.params[k][i] - p[i]) <= 1e-5 + 1e-5 * Math.abs(p[i]), `parameter ${k} element ${i}: ${onCuda.params[k][i]} vs ${p[i]}`);
      }
    });
  });
}
