// Fused optimizer updates, the arithmetic of the native addon's (native/src/optim.cc) operation
// by operation in float32 — itself the composite update of src/optim, so results agree with it to
// rounding:
//   Adam:  g ← ±g (+ λθ unless decoupled);  θ ← θ·decay, decay = 1 − ηλ, if decoupled (AdamW)
//          m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;  v̂max ← max(v̂max, v) (AMSGrad)
//          θ ← θ − stepSize · m / (√v / bias2Sqrt + ε)
//   SGD:   d ← ±g + λθ;  b ← d (first step) or μ·b + (1 − τ)·d;  d ← d + μ·b (Nesterov) or b
//          θ ← θ − η·d

#include "kernels.h"

/** The scalars, as float32 in this order. */
typedef struct {
  float beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, weightDecay, decay, stepSize, bias2Sqrt, sign;
} AdamScalars;

EXPORT("adamStep")
int adamStep(const AdamScalars* k, int decoupled, int amsgrad, float* restrict p, const float* restrict g, float* restrict m,
             float* restrict v, float* restrict vmax, int n) {
  // λθ is added to the gradient only when λ ≠ 0, as the composite does (d + 0·θ would turn −0 into +0).
  const float thetaScale = decoupled ? k->decay : 1.0f;
  const float wd = decoupled ? 0.0f : k->weightDecay;
  for (int i = 0; i < n; i++) {
    const float theta = p[i] * thetaScale;
    float d = k->sign * g[i];
    if (wd != 0.0f) d = d + wd * p[i];
    const float mi = m[i] * k->beta1 + k->oneMinusBeta1 * d;
    const float vi = v[i] * k->beta2 + k->oneMinusBeta2 * d * d;
    m[i] = mi;
    v[i] = vi;
    float second = vi;
    if (amsgrad) {
      const float prev = vmax[i];
      second = (prev > vi || prev != prev) ? prev : vi;  // NaN propagates as maximum does
      vmax[i] = second;
    }
    p[i] = theta - k->stepSize * (mi / (__builtin_sqrtf(second) / k->bias2Sqrt + k->eps));
  }
  return 0;
}

EXPORT("sgdStep")
int sgdStep(float negLr, float momentum, float keep, float weightDecay, int nesterov, int maximize, int firstStep,
            float* restrict p, const float* restrict g, float* restrict b, int n) {
  for (int i = 0; i < n; i++) {
    float d = maximize ? -g[i] : g[i];
    if (weightDecay != 0.0f) d = d + weightDecay * p[i];
    if (b) {
      const float bi = firstStep ? d : b[i] * momentum + keep * d;
      b[i] = bi;
      d = nesterov ? d + momentum * bi : bi;
    }
    p[i] = p[i] + negLr * d;
  }
  return 0;
}
