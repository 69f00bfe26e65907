// Fused recurrent layers (the optional recurrentForward / recurrentBackward entries of the backend
// contract, src/backend/backend.ts): one direction of one RNN (tanh/relu), LSTM or GRU layer over a
// whole sequence per call, torch's gate order (LSTM i, f, g, o; GRU r, z, n). recurrent.cc decodes
// and validates the calls; the functions below take operands already checked (dense float32, the
// shapes in the comments, no output overlapping another operand).

#pragma once

#include <cstdint>

namespace nabla {

enum class RecurrentCell : int { rnnTanh = 0, rnnRelu = 1, lstm = 2, gru = 3 };

/** Sizes: T steps, N batch rows, H hidden units; batchSizes[t] rows (a prefix) take part in step t. */
struct RecurrentShape {
  RecurrentCell cell = RecurrentCell::lstm;
  bool reverse = false;
  int64_t T = 0, N = 0, H = 0;
  /** T entries, non-increasing, each in [0, N]. */
  const int64_t* batchSizes = nullptr;

  /** Gates G: rnn 1, gru 3, lstm 4. */
  int gates() const { return cell == RecurrentCell::lstm ? 4 : cell == RecurrentCell::gru ? 3 : 1; }
  /** Saved activations per row in units of H: lstm i, f, g, o; gru r, z, n, W_hn·h + b_hn; rnn none. */
  int savedWidth() const { return cell == RecurrentCell::lstm || cell == RecurrentCell::gru ? 4 : 0; }
};

struct RecurrentForwardArgs {
  RecurrentShape s;
  const float* xProj = nullptr;  // [T, N, G·H]
  const float* whh = nullptr;    // [G·H, H]
  const float* bhh = nullptr;    // [G·H], gru only
  const float* h0 = nullptr;     // [N, H]
  const float* c0 = nullptr;     // [N, H], lstm only
  float* hs = nullptr;           // [T, N, H]
  float* cs = nullptr;           // [T, N, H], lstm only
  float* saved = nullptr;        // [T, N, S·H]; rnn: null, or [T, N, H] that receives a copy of hs
};

struct RecurrentBackwardArgs {
  RecurrentShape s;
  const float *whh = nullptr, *bhh = nullptr, *h0 = nullptr, *c0 = nullptr;
  const float *hs = nullptr, *cs = nullptr, *saved = nullptr;  // the forward's outputs
  const float *gHs = nullptr, *gCs = nullptr;                  // [T, N, H]; gCs lstm only
  float* gXProj = nullptr;                                     // [T, N, G·H]
  float* gWhh = nullptr;                                       // [G·H, H]
  float* gBhh = nullptr;                                       // [G·H], gru only
  float *gH0 = nullptr, *gC0 = nullptr;                        // [N, H]; gC0 lstm only
};

/** Runs the recurrence; false only when scratch memory could not be allocated (nothing written then). */
bool recurrentForward(const RecurrentForwardArgs& a);
/** Backward through time; false when scratch memory could not be allocated (outputs unspecified then). */
bool recurrentBackward(const RecurrentBackwardArgs& a);

}  // namespace nabla
