// Whether ops record the graph. noGrad() turns recording off for evaluation and optimizer updates.

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

function withGradMode<T>(mode: boolean, fn: () => T): T {
  const prev = enabled;
  enabled = mode;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** Run fn without recording operations for autograd (torch.no_grad). Synchronous: the mode is
 * restored when fn returns, so work after an `await` inside fn is recorded again. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Run fn with recording on, even inside noGrad (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

export function setGradEnabled(mode: boolean): void {
  enabled = mode;
}
