// Elementwise kernels: copy/cast between every pair of dtypes, fill, and float32 unary, parametric
// unary, binary (broadcast through zero strides) and where; int32 binary arithmetic and comparisons.
//
// Values are computed so that they round like the cpu backend's: + − × ÷ and sqrt in float32 are
// correctly rounded, exactly what the cpu backend's double arithmetic rounded to float32 gives;
// transcendental functions are evaluated in double and rounded once. Rows whose operands are
// contiguous (or a broadcast scalar) get loops the compiler vectorises; others walk their strides.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "checks.h"
#include "kernels.h"
#include "ops.h"
#include "vmath.h"
#include "walk.h"

namespace nabla {

namespace {

/** Elements below which a cheap elementwise op stays on the calling thread. */
constexpr int64_t kParallelCheap = 1 << 16;
/** The same for ops that call a math function per element. */
constexpr int64_t kParallelCostly = 1 << 13;

// ---- conversions with JavaScript's typed-array store semantics ---------------------------------

/** ToInt32 of a number already truncated by the cpu backend (Math.trunc then an Int32Array store). */
inline int32_t jsToInt32(double v) {
  if (!std::isfinite(v)) return 0;
  double t = std::fmod(std::trunc(v), 4294967296.0);
  if (t < 0) t += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(t));
}

/** ToUint8 (a Uint8Array store of a number, as TypedArray.fill does). */
inline uint8_t jsToUint8(double v) {
  if (!std::isfinite(v)) return 0;
  double t = std::fmod(std::trunc(v), 256.0);
  if (t < 0) t += 256.0;
  return static_cast<uint8_t>(t);
}

template <class Out>
struct Cast;
template <>
struct Cast<float> {
  template <class In>
  static float from(In v) { return static_cast<float>(v); }
};
template <>
struct Cast<double> {
  template <class In>
  static double from(In v) { return static_cast<double>(v); }
};
template <>
struct Cast<int32_t> {
  static int32_t from(int32_t v) { return v; }
  static int32_t from(uint8_t v) { return v; }
  static int32_t from(float v) { return jsToInt32(v); }
  static int32_t from(double v) { return jsToInt32(v); }
};
template <>
struct Cast<uint8_t> {
  template <class In>
  static uint8_t from(In v) { return v != 0 ? 1 : 0; }
};

using CopyRow = void (*)(const void* x, int64_t sx, void* o, int64_t so, int64_t n);

template <class In, class Out>
void copyRow(const void* xv, int64_t sx, void* ov, int64_t so, int64_t n) {
  const In* s = static_cast<const In*>(xv);
  Out* d = static_cast<Out*>(ov);
  if (sx == 1 && so == 1) {
    if (std::is_same<In, Out>::value) std::memmove(d, s, n * sizeof(In));
    else for (int64_t i = 0; i < n; i++) d[i] = Cast<Out>::from(s[i]);
  } else {
    for (int64_t i = 0; i < n; i++) d[i * so] = Cast<Out>::from(s[i * sx]);
  }
}

size_t itemSize(DType d) { return d == kFloat64 ? 8 : d == kBool ? 1 : 4; }

void copyRows(const View& x, const View& out, CopyRow row) {
  const int64_t* strides[2] = {x.strides, out.strides};
  Walk w(out.shape, out.ndim, strides, 2);
  const char* xs = static_cast<const char*>(x.data);
  char* os = static_cast<char*>(out.data);
  const size_t xi = itemSize(x.dtype), oi = itemSize(out.dtype);
  const int64_t base[2] = {x.offset, out.offset};
  w.forEachRow(base, kParallelCheap * 4, [&](const int64_t* off, int64_t n, const int64_t* in) {
    row(xs + off[0] * xi, in[0], os + off[1] * oi, in[1], n);
  });
}

template <class In>
CopyRow copyRowFrom(DType out) {
  switch (out) {
    case kFloat32: return copyRow<In, float>;
    case kFloat64: return copyRow<In, double>;
    case kInt32: return copyRow<In, int32_t>;
    case kBool: return copyRow<In, uint8_t>;
  }
  return nullptr;
}

template <class T>
void fillTyped(const View& out, T value) {
  const int64_t* strides[1] = {out.strides};
  Walk w(out.shape, out.ndim, strides, 1);
  T* os = static_cast<T*>(out.data);
  const int64_t base[1] = {out.offset};
  w.forEachRow(base, kParallelCheap * 4, [&](const int64_t* off, int64_t n, const int64_t* in) {
    T* d = os + off[0];
    const int64_t s = in[0];
    if (s == 1) for (int64_t i = 0; i < n; i++) d[i] = value;
    else for (int64_t i = 0; i < n; i++) d[i * s] = value;
  });
}

// ---- element functions ---------------------------------------------------------------------------

constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr double kSqrtHalf = 0.70710678118654752440;

/** x for x > 0 and NaN, +0 otherwise; by masking bits, since a select compiles to a mispredicted branch. */
inline float reluf(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits &= 0u - static_cast<uint32_t>(!(x <= 0.0f));
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

template <UnaryOp op>
inline float unaryFn(float x) {
  const double d = x;
  switch (op) {
    case UnaryOp::neg: return -x;
    case UnaryOp::abs: return std::fabs(x);
    case UnaryOp::exp: return static_cast<float>(std::exp(d));
    case UnaryOp::log: return static_cast<float>(std::log(d));
    case UnaryOp::sqrt: return std::sqrt(x);
    case UnaryOp::rsqrt: return static_cast<float>(1.0 / std::sqrt(d));
    case UnaryOp::square: return x * x;
    case UnaryOp::sin: return static_cast<float>(std::sin(d));
    case UnaryOp::cos: return static_cast<float>(std::cos(d));
    case UnaryOp::tan: return static_cast<float>(std::tan(d));
    case UnaryOp::atan: return static_cast<float>(std::atan(d));
    case UnaryOp::relu: return reluf(x);
    case UnaryOp::sigmoid: return static_cast<float>(d >= 0 ? 1.0 / (1.0 + std::exp(-d)) : std::exp(d) / (1.0 + std::exp(d)));
    case UnaryOp::tanh: return static_cast<float>(std::tanh(d));
    case UnaryOp::sign: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : 0.0f);
    case UnaryOp::reciprocal: return 1.0f / x;
    case UnaryOp::floor: return std::floor(x);
    case UnaryOp::ceil: return std::ceil(x);
    case UnaryOp::round: return std::nearbyint(x);  // ties to even under the default rounding mode
    case UnaryOp::trunc: return std::trunc(x);
    case UnaryOp::logicalNot: return x == 0.0f ? 1.0f : 0.0f;
    case UnaryOp::expm1: return static_cast<float>(std::expm1(d));
    case UnaryOp::log1p: return static_cast<float>(std::log1p(d));
    case UnaryOp::erf: return static_cast<float>(std::erf(d));
    case UnaryOp::softplus: return static_cast<float>(d > 20 ? d : std::log1p(std::exp(d)));
    case UnaryOp::softsign: return static_cast<float>(d / (1.0 + std::fabs(d)));
    case UnaryOp::gelu: return static_cast<float>(0.5 * d * (1.0 + std::erf(d * kSqrtHalf)));
    case UnaryOp::geluTanh: return static_cast<float>(0.5 * d * (1.0 + std::tanh(kSqrt2OverPi * (d + 0.044715 * d * d * d))));
    case UnaryOp::isnan: return x != x ? 1.0f : 0.0f;
    case UnaryOp::isinf: return std::isinf(x) ? 1.0f : 0.0f;
    case UnaryOp::count: break;
  }
  return x;
}

/** Ops that are a handful of instructions (vectorisable); the rest call libm per element. */
constexpr bool isCheap(UnaryOp op) {
  return op == UnaryOp::neg || op == UnaryOp::abs || op == UnaryOp::sqrt || op == UnaryOp::square || op == UnaryOp::relu ||
         op == UnaryOp::sign || op == UnaryOp::reciprocal || op == UnaryOp::floor || op == UnaryOp::ceil || op == UnaryOp::trunc ||
         op == UnaryOp::logicalNot || op == UnaryOp::isnan || op == UnaryOp::isinf || op == UnaryOp::round;
}

template <class Out>
inline Out store(float v);
template <>
inline float store<float>(float v) { return v; }
template <>
inline uint8_t store<uint8_t>(float v) { return v != 0.0f ? 1 : 0; }

/** One strided row of a unary map: contiguous, broadcast-scalar and general strides. */
template <class Out>
using UnaryRow = void (*)(const float* x, int64_t sx, Out* o, int64_t so, int64_t n, const double* p);

template <class Out, class F>
inline void mapRow(const float* s, int64_t sx, Out* d, int64_t so, int64_t n, F f) {
  if (sx == 1 && so == 1) {
    for (int64_t i = 0; i < n; i++) d[i] = store<Out>(f(s[i]));
  } else if (sx == 0) {
    const Out v = store<Out>(f(s[0]));
    for (int64_t i = 0; i < n; i++) d[i * so] = v;
  } else {
    for (int64_t i = 0; i < n; i++) d[i * so] = store<Out>(f(s[i * sx]));
  }
}

/** Walk x and out and run `row` on each row (the walk is compiled once per output type, not per op). */
template <class Out>
void mapRows(const View& x, const View& out, int64_t parallelAt, UnaryRow<Out> row, const double* p) {
  const int64_t* strides[2] = {x.strides, out.strides};
  Walk w(out.shape, out.ndim, strides, 2);
  const float* xs = static_cast<const float*>(x.data);
  Out* os = static_cast<Out*>(out.data);
  const int64_t base[2] = {x.offset, out.offset};
  w.forEachRow(base, parallelAt, [&](const int64_t* off, int64_t n, const int64_t* in) { row(xs + off[0], in[0], os + off[1], in[1], n, p); });
}

template <UnaryOp op, class Out>
void unaryRow(const float* x, int64_t sx, Out* o, int64_t so, int64_t n, const double*) {
  mapRow<Out>(x, sx, o, so, n, [](float v) { return unaryFn<op>(v); });
}

template <UnaryOp op, class Out>
void unaryTyped(const View& x, const View& out) {
  mapRows<Out>(x, out, isCheap(op) ? kParallelCheap : kParallelCostly, unaryRow<op, Out>, nullptr);
}

/** exp, sigmoid and tanh: contiguous rows through the AVX2 polynomials when the CPU has them (vmath.h). */
template <UnaryOp op>
void vectorisedRow(const float* x, int64_t sx, float* o, int64_t so, int64_t n, const double* p) {
  if (sx == 1 && so == 1) {
    if (const VectorRow fast = vectorRow(op)) return fast(x, o, n, [](float v) { return unaryFn<op>(v); });
  }
  unaryRow<op, float>(x, sx, o, so, n, p);
}

void unaryFloat(UnaryOp op, const View& x, const View& out) {
  if (op == UnaryOp::exp) return mapRows<float>(x, out, kParallelCostly, vectorisedRow<UnaryOp::exp>, nullptr);
  if (op == UnaryOp::sigmoid) return mapRows<float>(x, out, kParallelCostly, vectorisedRow<UnaryOp::sigmoid>, nullptr);
  if (op == UnaryOp::tanh) return mapRows<float>(x, out, kParallelCostly, vectorisedRow<UnaryOp::tanh>, nullptr);
  switch (op) {
#define NABLA_CASE(name) \
  case UnaryOp::name: return unaryTyped<UnaryOp::name, float>(x, out);
    NABLA_UNARY_OPS(NABLA_CASE)
#undef NABLA_CASE
    case UnaryOp::count: break;
  }
}

/** Unary ops that may write bool: the predicates. */
bool unaryBool(UnaryOp op, const View& x, const View& out) {
  switch (op) {
#define NABLA_CASE(name) \
  case UnaryOp::name: unaryTyped<UnaryOp::name, uint8_t>(x, out); return true;
    NABLA_UNARY_PREDICATE_OPS(NABLA_CASE)
#undef NABLA_CASE
    default: return false;
  }
}

template <ParamOp op>
inline float paramFn(float v, const double* p) {
  const double d = v;
  switch (op) {
    case ParamOp::powScalar: return static_cast<float>(std::pow(d, p[0]));
    case ParamOp::clamp: return static_cast<float>(d != d ? d : d < p[0] ? p[0] : d > p[1] ? p[1] : d);
    case ParamOp::hardtanh: return static_cast<float>(d < p[0] ? p[0] : d > p[1] ? p[1] : d);
    case ParamOp::leakyRelu: return static_cast<float>(d > 0 ? d : p[0] * d);
    // p = [alpha, scale]: scale·(x > 0 ? x : alpha·(e^x − 1)); SELU is elu with its constants.
    case ParamOp::elu: return static_cast<float>(d > 0 ? p[1] * d : p[1] * p[0] * std::expm1(d));
    case ParamOp::step: return d > p[0] ? 1.0f : 0.0f;
    case ParamOp::affine: return static_cast<float>(p[0] * d + p[1]);
    case ParamOp::count: break;
  }
  return v;
}

template <ParamOp op, class Out>
void paramRow(const float* x, int64_t sx, Out* o, int64_t so, int64_t n, const double* p) {
  const double p0 = p[0], p1 = p[1];
  const double q[2] = {p0, p1};
  mapRow<Out>(x, sx, o, so, n, [&q](float v) { return paramFn<op>(v, q); });
}

template <class Out>
void squareRow(const float* x, int64_t sx, Out* o, int64_t so, int64_t n, const double*) {
  mapRow<Out>(x, sx, o, so, n, [](float v) { return v * v; });
}

template <class Out>
void sqrtRow(const float* x, int64_t sx, Out* o, int64_t so, int64_t n, const double*) {
  mapRow<Out>(x, sx, o, so, n, [](float v) { return std::sqrt(v); });
}

void paramDispatch(ParamOp op, const View& x, const View& out, const double* p) {
  using Out = float;
  switch (op) {
    case ParamOp::powScalar:
      if (p[0] == 2) return mapRows<Out>(x, out, kParallelCheap, squareRow<Out>, p);
      if (p[0] == 0.5) return mapRows<Out>(x, out, kParallelCheap, sqrtRow<Out>, p);
      return mapRows<Out>(x, out, kParallelCostly, paramRow<ParamOp::powScalar, Out>, p);
    case ParamOp::clamp: return mapRows<Out>(x, out, kParallelCheap, paramRow<ParamOp::clamp, Out>, p);
    case ParamOp::hardtanh: return mapRows<Out>(x, out, kParallelCheap, paramRow<ParamOp::hardtanh, Out>, p);
    case ParamOp::leakyRelu: return mapRows<Out>(x, out, kParallelCheap, paramRow<ParamOp::leakyRelu, Out>, p);
    case ParamOp::elu: return mapRows<Out>(x, out, kParallelCostly, paramRow<ParamOp::elu, Out>, p);
    case ParamOp::step: return mapRows<Out>(x, out, kParallelCheap, paramRow<ParamOp::step, Out>, p);
    case ParamOp::affine: return mapRows<Out>(x, out, kParallelCheap, paramRow<ParamOp::affine, Out>, p);
    case ParamOp::count: break;
  }
}

template <BinaryOp op>
inline float binaryFn(float a, float b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    case BinaryOp::pow: return static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b)));
    case BinaryOp::maximum: return (a != a || b != b) ? NAN : (a > b ? a : b);
    case BinaryOp::minimum: return (a != a || b != b) ? NAN : (a < b ? a : b);
    case BinaryOp::atan2: return static_cast<float>(std::atan2(static_cast<double>(a), static_cast<double>(b)));
    case BinaryOp::eq: return a == b ? 1.0f : 0.0f;
    case BinaryOp::ne: return a != b ? 1.0f : 0.0f;
    case BinaryOp::lt: return a < b ? 1.0f : 0.0f;
    case BinaryOp::le: return a <= b ? 1.0f : 0.0f;
    case BinaryOp::gt: return a > b ? 1.0f : 0.0f;
    case BinaryOp::ge: return a >= b ? 1.0f : 0.0f;
    case BinaryOp::logicalAnd: return (a != 0.0f && b != 0.0f) ? 1.0f : 0.0f;
    case BinaryOp::logicalOr: return (a != 0.0f || b != 0.0f) ? 1.0f : 0.0f;
    case BinaryOp::logicalXor: return ((a != 0.0f) != (b != 0.0f)) ? 1.0f : 0.0f;
    // a·[b > 0] as a product (NaN/∞ gradients stay NaN where masked). The 1.0f/0.0f factor is
    // built from bits: written as a select, GCC turns it back into a per-element branch
    // (`b > 0 ? a : a·0`) that mispredicts half the time on ReLU data — 20× slower than this.
    case BinaryOp::reluGrad: {
      const uint32_t bits = (0u - static_cast<uint32_t>(b > 0.0f)) & 0x3f800000u;
      float factor;
      std::memcpy(&factor, &bits, sizeof factor);
      return a * factor;
    }
    case BinaryOp::count: break;
  }
  return 0.0f;
}

template <class In, class Out>
using BinaryRowOf = void (*)(const In* a, int64_t sa, const In* b, int64_t sb, Out* o, int64_t so, int64_t n);
template <class Out>
using BinaryRow = BinaryRowOf<float, Out>;

template <BinaryOp op, class Out>
void binaryRow(const float* x, int64_t sa, const float* y, int64_t sb, Out* d, int64_t so, int64_t n) {
  if (so == 1 && sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; i++) d[i] = store<Out>(binaryFn<op>(x[i], y[i]));
  } else if (so == 1 && sa == 1 && sb == 0) {
    const float yv = y[0];
    for (int64_t i = 0; i < n; i++) d[i] = store<Out>(binaryFn<op>(x[i], yv));
  } else if (so == 1 && sa == 0 && sb == 1) {
    const float xv = x[0];
    for (int64_t i = 0; i < n; i++) d[i] = store<Out>(binaryFn<op>(xv, y[i]));
  } else {
    for (int64_t i = 0; i < n; i++) d[i * so] = store<Out>(binaryFn<op>(x[i * sa], y[i * sb]));
  }
}

template <class In, class Out>
void binaryRows(const View& a, const View& b, const View& out, int64_t parallelAt, BinaryRowOf<In, Out> row) {
  const int64_t* strides[3] = {a.strides, b.strides, out.strides};
  Walk w(out.shape, out.ndim, strides, 3);
  const In* as = static_cast<const In*>(a.data);
  const In* bs = static_cast<const In*>(b.data);
  Out* os = static_cast<Out*>(out.data);
  const int64_t base[3] = {a.offset, b.offset, out.offset};
  w.forEachRow(base, parallelAt, [&](const int64_t* off, int64_t n, const int64_t* in) {
    row(as + off[0], in[0], bs + off[1], in[1], os + off[2], in[2], n);
  });
}

template <BinaryOp op, class Out>
void binaryTyped(const View& a, const View& b, const View& out) {
  const int64_t parallelAt = (op == BinaryOp::pow || op == BinaryOp::atan2) ? kParallelCostly : kParallelCheap;
  binaryRows<float, Out>(a, b, out, parallelAt, binaryRow<op, Out>);
}

/** Arithmetic writes float32, comparisons and logical ops write bool. */
bool isPredicate(BinaryOp op) {
  switch (op) {
#define NABLA_CASE(name) case BinaryOp::name:
    NABLA_BINARY_PREDICATE_OPS(NABLA_CASE) return true;
#undef NABLA_CASE
    default: return false;
  }
}

void binaryDispatch(BinaryOp op, const View& a, const View& b, const View& out) {
  switch (op) {
#define NABLA_ARITH(name) \
  case BinaryOp::name: return binaryTyped<BinaryOp::name, float>(a, b, out);
#define NABLA_PRED(name) \
  case BinaryOp::name: return binaryTyped<BinaryOp::name, uint8_t>(a, b, out);
    NABLA_BINARY_ARITH_OPS(NABLA_ARITH)
    NABLA_BINARY_PREDICATE_OPS(NABLA_PRED)
#undef NABLA_ARITH
#undef NABLA_PRED
    case BinaryOp::count: break;
  }
}

// ---- int32 binary ---------------------------------------------------------------------------------
// The cpu backend computes a + b and a − b exactly in double and stores them into an Int32Array
// (wrapping modulo 2^32) and multiplies with Math.imul: the same as wrapping 32-bit arithmetic.

template <BinaryOp op>
inline int32_t intBinaryFn(int32_t a, int32_t b) {
  const uint32_t ua = static_cast<uint32_t>(a), ub = static_cast<uint32_t>(b);
  switch (op) {
    case BinaryOp::add: return static_cast<int32_t>(ua + ub);
    case BinaryOp::sub: return static_cast<int32_t>(ua - ub);
    case BinaryOp::mul: return static_cast<int32_t>(ua * ub);
    case BinaryOp::maximum: return a > b ? a : b;
    case BinaryOp::minimum: return a < b ? a : b;
    case BinaryOp::eq: return a == b;
    case BinaryOp::ne: return a != b;
    case BinaryOp::lt: return a < b;
    case BinaryOp::le: return a <= b;
    case BinaryOp::gt: return a > b;
    case BinaryOp::ge: return a >= b;
    case BinaryOp::logicalAnd: return a != 0 && b != 0;
    case BinaryOp::logicalOr: return a != 0 || b != 0;
    case BinaryOp::logicalXor: return (a != 0) != (b != 0);
    default: return 0;
  }
}

template <BinaryOp op, class Out>
void intBinaryRow(const int32_t* x, int64_t sa, const int32_t* y, int64_t sb, Out* d, int64_t so, int64_t n) {
  if (so == 1 && sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; i++) d[i] = static_cast<Out>(intBinaryFn<op>(x[i], y[i]));
  } else if (so == 1 && sa == 1 && sb == 0) {
    const int32_t yv = y[0];
    for (int64_t i = 0; i < n; i++) d[i] = static_cast<Out>(intBinaryFn<op>(x[i], yv));
  } else if (so == 1 && sa == 0 && sb == 1) {
    const int32_t xv = x[0];
    for (int64_t i = 0; i < n; i++) d[i] = static_cast<Out>(intBinaryFn<op>(xv, y[i]));
  } else {
    for (int64_t i = 0; i < n; i++) d[i * so] = static_cast<Out>(intBinaryFn<op>(x[i * sa], y[i * sb]));
  }
}

/** int32 operands: wrapping add/sub/mul and maximum/minimum to int32, comparisons and logical ops to bool. */
bool intBinaryDispatch(BinaryOp op, const View& a, const View& b, const View& out) {
  switch (op) {
#define NABLA_ARITH(name) \
  case BinaryOp::name: binaryRows<int32_t, int32_t>(a, b, out, kParallelCheap, intBinaryRow<BinaryOp::name, int32_t>); return true;
#define NABLA_PRED(name) \
  case BinaryOp::name: binaryRows<int32_t, uint8_t>(a, b, out, kParallelCheap, intBinaryRow<BinaryOp::name, uint8_t>); return true;
    NABLA_INT32_BINARY_ARITH_OPS(NABLA_ARITH)
    NABLA_INT32_BINARY_PREDICATE_OPS(NABLA_PRED)
#undef NABLA_ARITH
#undef NABLA_PRED
    default: return false;  // div, pow and atan2 are floating point on the cpu kernel
  }
}

bool requireSameShape(Args& args, const View& v, const char* name, const View& out) {
  if (sameShape(v, out)) return true;
  return args.fail(std::string(name) + " has shape " + v.shapeText() + " but out has shape " + out.shapeText() + " (operands must be broadcast to out's shape)");
}

bool requireFloat32(Args& args, const View& v, const char* name) {
  if (v.dtype == kFloat32) return true;
  return args.fail(std::string(name) + " must be float32 (other dtypes run on the cpu kernels)");
}

bool requireFloatOrBoolOut(Args& args, const View& out) {
  if (out.dtype == kFloat32 || out.dtype == kBool) return true;
  return args.fail("out must be float32 or bool");
}

}  // namespace

napi_value Copy(napi_env env, napi_callback_info info) {
  Args args(env, info, "copy");
  View x, out;
  args.view(x, "x") && args.view(out, "out") && args.finish() && requireSameShape(args, x, "x", out);
  if (!args.ok()) return nullptr;
  CopyRow row = nullptr;
  switch (x.dtype) {
    case kFloat32: row = copyRowFrom<float>(out.dtype); break;
    case kFloat64: row = copyRowFrom<double>(out.dtype); break;
    case kInt32: row = copyRowFrom<int32_t>(out.dtype); break;
    case kBool: row = copyRowFrom<uint8_t>(out.dtype); break;
  }
  copyRows(x, out, row);
  return nullptr;
}

napi_value Fill(napi_env env, napi_callback_info info) {
  Args args(env, info, "fill");
  View out;
  args.view(out, "out");
  const double value = args.number("value");
  if (!args.finish()) return nullptr;
  switch (out.dtype) {
    case kFloat32: fillTyped<float>(out, static_cast<float>(value)); break;
    case kFloat64: fillTyped<double>(out, value); break;
    case kInt32: fillTyped<int32_t>(out, jsToInt32(value)); break;
    case kBool: fillTyped<uint8_t>(out, jsToUint8(value)); break;
  }
  return nullptr;
}

napi_value Unary(napi_env env, napi_callback_info info) {
  Args args(env, info, "unary");
  const int64_t op = args.integer("op", 0, static_cast<int64_t>(UnaryOp::count) - 1);
  View x, out;
  args.view(x, "x") && args.view(out, "out") && args.finish() && requireSameShape(args, x, "x", out) && requireFloat32(args, x, "x") &&
      requireFloatOrBoolOut(args, out);
  if (!args.ok()) return nullptr;
  if (out.dtype == kFloat32) unaryFloat(static_cast<UnaryOp>(op), x, out);
  else if (!unaryBool(static_cast<UnaryOp>(op), x, out)) args.fail("this op writes float32, not bool");
  return nullptr;
}

napi_value ParamUnary(napi_env env, napi_callback_info info) {
  Args args(env, info, "paramUnary");
  const int64_t op = args.integer("op", 0, static_cast<int64_t>(ParamOp::count) - 1);
  double p[2];
  p[0] = args.number("params[0]");
  p[1] = args.number("params[1]");
  View x, out;
  args.view(x, "x") && args.view(out, "out") && args.finish() && requireSameShape(args, x, "x", out) && requireFloat32(args, x, "x") &&
      requireFloatOrBoolOut(args, out);
  if (!args.ok()) return nullptr;
  if (out.dtype != kFloat32) return args.fail("out must be float32"), nullptr;
  paramDispatch(static_cast<ParamOp>(op), x, out, p);
  return nullptr;
}

napi_value Binary(napi_env env, napi_callback_info info) {
  Args args(env, info, "binary");
  const int64_t op = args.integer("op", 0, static_cast<int64_t>(BinaryOp::count) - 1);
  View a, b, out;
  args.view(a, "a") && args.view(b, "b") && args.view(out, "out") && args.finish() && requireSameShape(args, a, "a", out) &&
      requireSameShape(args, b, "b", out);
  if (!args.ok()) return nullptr;
  const bool predicate = isPredicate(static_cast<BinaryOp>(op));
  if (a.dtype == kInt32 && b.dtype == kInt32) {
    if (out.dtype != (predicate ? kBool : kInt32)) return args.fail(predicate ? "comparisons write bool" : "int32 arithmetic writes int32"), nullptr;
    if (!intBinaryDispatch(static_cast<BinaryOp>(op), a, b, out)) args.fail("div, pow and atan2 of int32 operands run on the cpu kernel");
    return nullptr;
  }
  requireFloat32(args, a, "a") && requireFloat32(args, b, "b") && requireFloatOrBoolOut(args, out);
  if (!args.ok()) return nullptr;
  if (out.dtype != (predicate ? kBool : kFloat32)) return args.fail(predicate ? "comparisons write bool" : "arithmetic writes float32"), nullptr;
  binaryDispatch(static_cast<BinaryOp>(op), a, b, out);
  return nullptr;
}

napi_value Where(napi_env env, napi_callback_info info) {
  Args args(env, info, "where");
  View cond, a, b, out;
  args.view(cond, "cond") && args.view(a, "a") && args.view(b, "b") && args.view(out, "out") && args.finish() &&
      requireSameShape(args, cond, "cond", out) && requireSameShape(args, a, "a", out) && requireSameShape(args, b, "b", out) &&
      requireFloat32(args, a, "a") && requireFloat32(args, b, "b") && requireFloat32(args, out, "out");
  if (args.ok() && cond.dtype != kBool) args.fail("cond must be bool");
  if (!args.ok()) return nullptr;
  const int64_t* strides[4] = {cond.strides, a.strides, b.strides, out.strides};
  Walk w(out.shape, out.ndim, strides, 4);
  const uint8_t* cs = static_cast<const uint8_t*>(cond.data);
  const float* as = static_cast<const float*>(a.data);
  const float* bs = static_cast<const float*>(b.data);
  float* os = static_cast<float*>(out.data);
  const int64_t base[4] = {cond.offset, a.offset, b.offset, out.offset};
  w.forEachRow(base, kParallelCheap, [&](const int64_t* off, int64_t n, const int64_t* in) {
    const uint8_t* c = cs + off[0];
    const float* x = as + off[1];
    const float* y = bs + off[2];
    float* d = os + off[3];
    const int64_t sc = in[0], sa = in[1], sb = in[2], so = in[3];
    if (sc == 1 && sa == 1 && sb == 1 && so == 1) {
      for (int64_t i = 0; i < n; i++) d[i] = c[i] ? x[i] : y[i];
    } else {
      for (int64_t i = 0; i < n; i++) d[i * so] = c[i * sc] ? x[i * sa] : y[i * sb];
    }
  });
  return nullptr;
}

}  // namespace nabla
