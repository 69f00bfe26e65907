// Collecting the process warnings nabla emits while a piece of code runs.

/** Codes of the loss score-kind warnings emitted while fn runs (warnings arrive on a later tick). */
export async function scoreKindWarnings(fn: () => unknown): Promise<string[]> {
  const codes: string[] = [];
  const listener = (w: Error & { code?: string }): void => {
    if (w.code === "NABLA_LOGITS_LOOK_LIKE_PROBABILITIES" || w.code === "NABLA_PROBABILITIES_LOOK_LIKE_LOGITS") codes.push(w.code);
  };
  process.on("warning", listener);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", listener);
  }
  return codes;
}
