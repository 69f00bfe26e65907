// nb.nn.utils: gradient clipping and parameter vectors (gradients.ts), and `rnn`: packing batches of
// variable-length sequences for the recurrent layers (rnn.ts).

export * from "./gradients.js";
export * as rnn from "./rnn.js";
