// nb.nn.utils.rnn (torch.nn.utils.rnn): padSequence, packPaddedSequence, packSequence,
// padPackedSequence and the PackedSequence they work with.

export { PackedSequence } from "./packed-sequence.js";
