// 2-d convolution (1-d arrives as height 1) as im2col + GEMM, per image and group: the columns
// [Cin/groups·kh·kw, Ho·Wo] of one image are built in scratch memory and multiplied by the
// group's weights. Backward-data multiplies by the transposed weights and scatters the columns
// back (col2im); backward-filter accumulates gy · columnsᵀ over the batch. A 1×1, stride-1,
// unpadded convolution's columns are the image itself, so it skips the copy.

#include "kernels.h"

/** The geometry the JavaScript side checked: 16 int32 in this order. */
typedef struct {
  int batch, cin, h, w, cout, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, groups;
} Geometry;

static int isPointwise(const Geometry* g) {
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0 && g->oh == g->h && g->ow == g->w;
}

/** The outputs ox whose input column x0 + ox·sw lies in [0, w): [*lo, *hi). */
static void validColumns(int x0, int sw, int w, int ow, int* lo, int* hi) {
  int a = x0 >= 0 ? 0 : (-x0 + sw - 1) / sw;
  int b = w - x0 <= 0 ? 0 : (w - x0 + sw - 1) / sw;
  if (b > ow) b = ow;
  if (a > b) a = b;
  *lo = a;
  *hi = b;
}

/** col[(c·kh + i)·kw + j][oh·Wo + ow] = x[c][oh·sh − ph + i·dh][ow·sw − pw + j·dw], 0 outside. */
static void im2col(const Geometry* g, const float* x, int channels, float* col) {
  const int P = g->oh * g->ow;
  for (int c = 0; c < channels; c++) {
    const float* plane = x + (size_t)c * g->h * g->w;
    for (int i = 0; i < g->kh; i++) {
      for (int j = 0; j < g->kw; j++, col += P) {
        const int x0 = j * g->dw - g->pw;
        int lo, hi;
        validColumns(x0, g->sw, g->w, g->ow, &lo, &hi);
        for (int oy = 0; oy < g->oh; oy++) {
          float* dst = col + oy * g->ow;
          const int iy = oy * g->sh - g->ph + i * g->dh;
          if (iy < 0 || iy >= g->h) {
            for (int ox = 0; ox < g->ow; ox++) dst[ox] = 0.0f;
            continue;
          }
          const float* src = plane + (size_t)iy * g->w + x0;
          for (int ox = 0; ox < lo; ox++) dst[ox] = 0.0f;
          if (g->sw == 1) for (int ox = lo; ox < hi; ox++) dst[ox] = src[ox];
          else for (int ox = lo; ox < hi; ox++) dst[ox] = src[ox * g->sw];
          for (int ox = hi; ox < g->ow; ox++) dst[ox] = 0.0f;
        }
      }
    }
  }
}

/** The adjoint of im2col: x[c][iy][ix] += col[...] for every column entry that came from it. */
static void col2im(const Geometry* g, const float* col, int channels, float* x) {
  const int P = g->oh * g->ow;
  for (int c = 0; c < channels; c++) {
    float* plane = x + (size_t)c * g->h * g->w;
    for (int i = 0; i < g->kh; i++) {
      for (int j = 0; j < g->kw; j++, col += P) {
        const int x0 = j * g->dw - g->pw;
        int lo, hi;
        validColumns(x0, g->sw, g->w, g->ow, &lo, &hi);
        for (int oy = 0; oy < g->oh; oy++) {
          const int iy = oy * g->sh - g->ph + i * g->dh;
          if (iy < 0 || iy >= g->h) continue;
          const float* src = col + oy * g->ow;
          float* row = plane + (size_t)iy * g->w + x0;
          if (g->sw == 1) for (int ox = lo; ox < hi; ox++) row[ox] += src[ox];
          else for (int ox = lo; ox < hi; ox++) row[ox * g->sw] += src[ox];
        }
      }
    }
  }
}

/** out = conv(x, w) (+ bias[c], one float add per element, when bias is not 0). */
EXPORT("conv") int conv(const Geometry* g, const float* x, const float* w, const float* bias, float* out) {
  const int cg = g->cin / g->groups, og = g->cout / g->groups, taps = cg * g->kh * g->kw;
  const int P = g->oh * g->ow, inPlane = g->h * g->w;
  const int direct = isPointwise(g);
  float* col = direct ? 0 : scratch(sizeof(float) * (size_t)taps * P);
  if (!direct && !col) return 1;
  for (int n = 0; n < g->batch; n++) {
    for (int grp = 0; grp < g->groups; grp++) {
      const float* xg = x + ((size_t)n * g->cin + (size_t)grp * cg) * inPlane;
      if (!direct) im2col(g, xg, cg, col);
      float* o = out + ((size_t)n * g->cout + (size_t)grp * og) * P;
      if (sgemm(og, P, taps, w + (size_t)grp * og * taps, taps, 1, direct ? xg : col, P, 1, o, P, 0)) return 1;
    }
    if (bias) {
      for (int c = 0; c < g->cout; c++) {
        float* o = out + ((size_t)n * g->cout + c) * P;
        const float b = bias[c];
        for (int q = 0; q < P; q++) o[q] = o[q] + b;
      }
    }
  }
  return 0;
}

/** gx = the gradient of conv with respect to x, given gy. */
EXPORT("convBackwardData") int convBackwardData(const Geometry* g, const float* gy, const float* w, float* gx) {
  const int cg = g->cin / g->groups, og = g->cout / g->groups, taps = cg * g->kh * g->kw;
  const int P = g->oh * g->ow, inPlane = g->h * g->w;
  const int direct = isPointwise(g);
  float* col = direct ? 0 : scratch(sizeof(float) * (size_t)taps * P);
  if (!direct && !col) return 1;
  for (int n = 0; n < g->batch; n++) {
    for (int grp = 0; grp < g->groups; grp++) {
      float* gxg = gx + ((size_t)n * g->cin + (size_t)grp * cg) * inPlane;
      const float* gyg = gy + ((size_t)n * g->cout + (size_t)grp * og) * P;
      // col[tap][q] = Σ_co w[co][tap]·gy[co][q]: the weights read transposed.
      if (sgemm(taps, P, og, w + (size_t)grp * og * taps, 1, taps, gyg, P, 1, direct ? gxg : col, P, 0)) return 1;
      if (!direct) {
        for (size_t q = 0; q < (size_t)cg * inPlane; q++) gxg[q] = 0.0f;
        col2im(g, col, cg, gxg);
      }
    }
  }
  return 0;
}

/** gw = the gradient of conv with respect to w; gb[c] = Σ gy[n, c, ·] when gb is not 0. */
EXPORT("convBackwardFilter") int convBackwardFilter(const Geometry* g, const float* x, const float* gy, float* gw, float* gb) {
  const int cg = g->cin / g->groups, og = g->cout / g->groups, taps = cg * g->kh * g->kw;
  const int P = g->oh * g->ow, inPlane = g->h * g->w;
  const int direct = isPointwise(g);
  float* col = direct ? 0 : scratch(sizeof(float) * (size_t)taps * P);
  if (!direct && !col) return 1;
  for (size_t q = 0; q < (size_t)g->cout * taps; q++) gw[q] = 0.0f;
  for (int n = 0; n < g->batch; n++) {
    for (int grp = 0; grp < g->groups; grp++) {
      const float* xg = x + ((size_t)n * g->cin + (size_t)grp * cg) * inPlane;
      if (!direct) im2col(g, xg, cg, col);
      const float* gyg = gy + ((size_t)n * g->cout + (size_t)grp * og) * P;
      // gw[co][tap] += Σ_q gy[co][q]·col[tap][q]: the columns read transposed.
      if (sgemm(og, taps, P, gyg, P, 1, direct ? xg : col, 1, P, gw + (size_t)grp * og * taps, taps, 1)) return 1;
    }
  }
  if (gb) {
    // Summed in double, as the cpu backend's reduction does.
    for (int c = 0; c < g->cout; c++) {
      double s = 0;
      for (int n = 0; n < g->batch; n++) {
        const float* row = gy + ((size_t)n * g->cout + c) * P;
        for (int q = 0; q < P; q++) s += row[q];
      }
      gb[c] = (float)s;
    }
  }
  return 0;
}
