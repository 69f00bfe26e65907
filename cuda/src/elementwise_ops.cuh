// The elementwise ops' semantics, as src/backend/cpu/elementwise.ts defines them (NaN and signed
// zero handling included), for a compute type C (float for float32 work, double otherwise). Op
// numbers are ops.h's. Host and device code: the host check (cuda/check/host_check.cu) compares
// them with the cpu backend on special values.

#pragma once

#include <cmath>

#include "ops.h"

namespace nabla_cuda {

template <typename C>
__host__ __device__ __forceinline__ C nanOf() { return static_cast<C>(NAN); }

/** Math.pow: a NaN exponent gives NaN and (±1)^±∞ is NaN, where C's pow gives 1. */
template <typename C>
__host__ __device__ __forceinline__ C jsPow(C a, C b) {
  if (b != b) return b;
  if (isinf(b) && fabs(a) == C(1)) return nanOf<C>();
  return pow(a, b);
}

template <typename C>
__host__ __device__ __forceinline__ C unaryOp(int op, C x) {
  const C one = C(1), zero = C(0);
  switch (static_cast<UnaryOp>(op)) {
    case UnaryOp::neg: return -x;
    case UnaryOp::abs: return fabs(x);
    case UnaryOp::exp: return exp(x);
    case UnaryOp::log: return log(x);
    case UnaryOp::sqrt: return sqrt(x);
    case UnaryOp::rsqrt: return one / sqrt(x);
    case UnaryOp::square: return x * x;
    case UnaryOp::sin: return sin(x);
    case UnaryOp::cos: return cos(x);
    case UnaryOp::tan: return tan(x);
    case UnaryOp::atan: return atan(x);
    case UnaryOp::relu: return x > zero ? x : (x != x ? x : zero);
    case UnaryOp::sigmoid: return x >= zero ? one / (one + exp(-x)) : exp(x) / (one + exp(x));
    case UnaryOp::tanh: return tanh(x);
    case UnaryOp::sign: return x > zero ? one : x < zero ? -one : zero;  // NaN and ±0 give 0, as torch
    case UnaryOp::reciprocal: return one / x;
    case UnaryOp::floor: return floor(x);
    case UnaryOp::ceil: return ceil(x);
    case UnaryOp::round: return rint(x);  // half to even, as torch.round
    case UnaryOp::trunc: return trunc(x);
    case UnaryOp::logicalNot: return x == zero ? one : zero;
    case UnaryOp::expm1: return expm1(x);
    case UnaryOp::log1p: return log1p(x);
    case UnaryOp::erf: return erf(x);
    case UnaryOp::softplus: return x > C(20) ? x : log1p(exp(x));  // torch's threshold 20
    case UnaryOp::softsign: return x / (one + fabs(x));
    case UnaryOp::gelu: return C(0.5) * x * (one + erf(x / C(1.4142135623730951)));
    case UnaryOp::geluTanh: {
      const C k = C(0.7978845608028654);  // sqrt(2/pi)
      return C(0.5) * x * (one + tanh(k * (x + C(0.044715) * x * x * x)));
    }
    case UnaryOp::isnan: return x != x ? one : zero;
    case UnaryOp::isinf: return isinf(x) ? one : zero;
    default: return nanOf<C>();
  }
}

template <typename C>
__host__ __device__ __forceinline__ C paramOp(int op, double p0, double p1, C x) {
  const C zero = C(0);
  switch (static_cast<ParamOp>(op)) {
    case ParamOp::powScalar:
      if (p0 == 2) return x * x;
      if (p0 == 0.5) return sqrt(x);
      return jsPow(x, static_cast<C>(p0));
    case ParamOp::clamp: {
      const C lo = static_cast<C>(p0), hi = static_cast<C>(p1);
      return x != x ? x : x < lo ? lo : x > hi ? hi : x;
    }
    case ParamOp::hardtanh: {
      const C lo = static_cast<C>(p0), hi = static_cast<C>(p1);
      return x < lo ? lo : x > hi ? hi : x;
    }
    case ParamOp::leakyRelu: return x > zero ? x : static_cast<C>(p0 * static_cast<double>(x));  // slope·x in double, as the cpu
    case ParamOp::elu: {
      // p0 = alpha, p1 = scale (SELU is elu with its constants)
      const C s = static_cast<C>(p1);
      return x > zero ? s * x : static_cast<C>(p1 * p0) * expm1(x);
    }
    case ParamOp::step: return x > static_cast<C>(p0) ? C(1) : zero;
    // In double, as the cpu backend computes a·x + b before rounding.
    case ParamOp::affine: return static_cast<C>(p0 * static_cast<double>(x) + p1);
    default: return nanOf<C>();
  }
}

template <typename C>
__host__ __device__ __forceinline__ C binaryOp(int op, C a, C b) {
  const C one = C(1), zero = C(0);
  switch (static_cast<BinaryOp>(op)) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    case BinaryOp::pow: return jsPow(a, b);
    case BinaryOp::maximum: return (a != a || b != b) ? nanOf<C>() : a > b ? a : b;
    case BinaryOp::minimum: return (a != a || b != b) ? nanOf<C>() : a < b ? a : b;
    case BinaryOp::atan2: return atan2(a, b);
    case BinaryOp::eq: return a == b ? one : zero;
    case BinaryOp::ne: return a != b ? one : zero;
    case BinaryOp::lt: return a < b ? one : zero;
    case BinaryOp::le: return a <= b ? one : zero;
    case BinaryOp::gt: return a > b ? one : zero;
    case BinaryOp::ge: return a >= b ? one : zero;
    case BinaryOp::logicalAnd: return (a != zero && b != zero) ? one : zero;
    case BinaryOp::logicalOr: return (a != zero || b != zero) ? one : zero;
    case BinaryOp::logicalXor: return ((a != zero) != (b != zero)) ? one : zero;
    case BinaryOp::reluGrad: return a * (b > zero ? one : zero);  // ReLU's backward: a·[b > 0]
    default: return nanOf<C>();
  }
}

}  // namespace nabla_cuda
