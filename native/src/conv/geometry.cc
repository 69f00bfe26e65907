#include "geometry.h"

namespace nabla::conv {

bool backwardDataAsForward(const Geometry& g, Geometry& t) {
  t = g;
  t.cin = g.cout;
  t.cout = g.cin;
  t.cinG = g.coutG;
  t.coutG = g.cinG;
  for (int i = 0; i < 3; i++) {
    const int64_t span = g.d[i] * (g.k[i] - 1);
    const int64_t padAfter = g.out[i] + span - g.in[i] - g.pad[i];  // stride 1: out = in + before + after − span
    if (g.pad[i] > span || padAfter > span) return false;
    t.in[i] = g.out[i];
    t.out[i] = g.in[i];
    t.pad[i] = span - g.pad[i];
  }
  t.deriveSizes();
  return true;
}

}  // namespace nabla::conv
