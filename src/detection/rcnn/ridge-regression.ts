// Ridge regression (least squares with an L2 penalty), R-CNN's bounding-box regressor: for
// features X [N, D] and targets Y [N, T], W = argmin ‖Y − XW − b‖² + λ‖W‖², the bias b not
// penalised (X and Y are centred, then b = ȳ − x̄W). Solved in closed form,
// (XcᵀXc + λI) W = XcᵀYc, by a Cholesky factorisation in float64 on the host; the Gram matrix
// is one matmul of the backend.

import { Tensor } from "../../tensor/tensor.js";
import { tensor } from "../../tensor/creation.js";
import { tidy } from "../../tensor/scope.js";
import { matmul } from "../../ops/linalg.js";
import { add, sub } from "../../ops/elementwise.js";
import { mean } from "../../ops/reduce.js";
import { transpose } from "../../ops/view.js";
import { formatShape } from "../../core/shape.js";

/** A fitted linear map: predict(x [N, D]) = x·weight + bias → [N, T]. */
export class RidgeRegression {
  constructor(readonly weight: Tensor, readonly bias: Tensor) {}

  predict(x: Tensor): Tensor {
    if (x.ndim !== 2 || x.shape[1] !== this.weight.shape[0]) {
      throw new RangeError(`RidgeRegression.predict: features must be [N, ${this.weight.shape[0]}], got ${formatShape(x.shape)}`);
    }
    return tidy(() => add(matmul(x, this.weight), this.bias));
  }
}

/** Solves A X = B in place for symmetric positive definite A [D, D] (row-major) and B [D, T]. */
export function choleskySolve(a: Float64Array, b: Float64Array, D: number, T: number): Float64Array {
  const L = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * D + j];
      for (let k = 0; k < j; k++) s -= L[i * D + k] * L[j * D + k];
      if (i === j) {
        if (!(s > 0)) throw new RangeError(`choleskySolve: the matrix is not positive definite (pivot ${i} is ${s}); use a larger lambda`);
        L[i * D + i] = Math.sqrt(s);
      } else {
        L[i * D + j] = s / L[j * D + j];
      }
    }
  }
  const x = Float64Array.from(b);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < D; i++) { // L y = b
      let s = x[i * T + t];
      for (let k = 0; k < i; k++) s -= L[i * D + k] * x[k * T + t];
      x[i * T + t] = s / L[i * D + i];
    }
    for (let i = D - 1; i >= 0; i--) { // Lᵀ x = y
      let s = x[i * T + t];
      for (let k = i + 1; k < D; k++) s -= L[k * D + i] * x[k * T + t];
      x[i * T + t] = s / L[i * D + i];
    }
  }
  return x;
}

/** Ridge regression of `targets` [N, T] on `features` [N, D] with penalty `lambda` (R-CNN: 1000). */
export function fitRidgeRegression(features: Tensor, targets: Tensor, lambda = 1000): RidgeRegression {
  const op = "fitRidgeRegression";
  if (!(features instanceof Tensor) || features.ndim !== 2) throw new RangeError(`${op}: features must be [N, D], got ${features instanceof Tensor ? formatShape(features.shape) : typeof features}`);
  if (!(targets instanceof Tensor) || targets.ndim !== 2 || targets.shape[0] !== features.shape[0]) {
    throw new RangeError(`${op}: targets must be [${features.shape[0]}, T] (one row per feature row), got ${targets instanceof Tensor ? formatShape(targets.shape) : typeof targets}`);
  }
  if (features.dtype !== "float32" || targets.dtype !== "float32") throw new TypeError(`${op}: features and targets must be float32, got ${features.dtype} and ${targets.dtype}`);
  if (features.shape[0] === 0) throw new RangeError(`${op}: no training rows`);
  if (typeof lambda !== "number" || !(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`${op}: lambda must be a number ≥ 0, got ${String(lambda)}`);
  const [D, T] = [features.shape[1], targets.shape[1]];
  const { gram, rhs, xMean, yMean } = tidy(() => {
    const x = features, y = targets;
    const xm = mean(x, 0, true), ym = mean(y, 0, true);
    const xc = sub(x, xm), yc = sub(y, ym);
    const xt = transpose(xc, 0, 1);
    return { gram: matmul(xt, xc), rhs: matmul(xt, yc), xMean: xm, yMean: ym };
  });
  const a = Float64Array.from(gram.dataSync());
  for (let i = 0; i < D; i++) a[i * D + i] += lambda;
  // A tiny ridge keeps λ = 0 solvable when features are collinear.
  if (lambda === 0) for (let i = 0; i < D; i++) a[i * D + i] += 1e-9;
  const w = choleskySolve(a, Float64Array.from(rhs.dataSync()), D, T);
  const xm = xMean.dataSync(), ym = yMean.dataSync();
  const bias = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    let s = ym[t];
    for (let d = 0; d < D; d++) s -= xm[d] * w[d * T + t];
    bias[t] = s;
  }
  return new RidgeRegression(tensor(Float32Array.from(w), { shape: [D, T] }), tensor(bias, { shape: [T] }));
}
