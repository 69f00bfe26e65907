// PackedSequence (torch.nn.utils.rnn.PackedSequence): a batch of sequences of different lengths
// stored time step by time step without padding. `data` holds, for each step t in order, the
// rows of the sequences still running at t (batchSizes[t] of them, longest sequences first), so a
// recurrent layer runs step t on the first batchSizes[t] rows of its state. The functions that
// make and undo one are in rnn.ts.

import type { Tensor } from "../../tensor/tensor.js";

export class PackedSequence {
  constructor(
    /** [Σ batchSizes, ...features]: step 0's rows, then step 1's, ... */
    readonly data: Tensor,
    /** Rows active at each step (non-increasing); its length is the longest sequence's. */
    readonly batchSizes: readonly number[],
    /** sortedIndices[i]: the original batch index of the i-th longest sequence (null: already sorted). */
    readonly sortedIndices: Tensor | null = null,
    /** The inverse permutation: where each original sequence sits in the sorted order (null: sorted). */
    readonly unsortedIndices: Tensor | null = null,
  ) {}
}
