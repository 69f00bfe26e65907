// Plain-text tables for the reports of crossValidate and nb.tune: columns padded to their widest
// cell, numbers right-aligned, everything else left-aligned.

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3);
}

export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === "number" ? formatNumber(c) : c)))];
  const numeric = header.map((_, j) => rows.length > 0 && rows.every((r) => typeof r[j] === "number" || /^[-+]?[\d.]+(e[-+]?\d+)?( ± [\d.e+-]+)?$/.test(String(r[j]))));
  const widths = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? "").length)));
  return cells
    .map((r) => r.map((c, j) => (numeric[j] ? (c ?? "").padStart(widths[j]) : (c ?? "").padEnd(widths[j]))).join("  ").trimEnd())
    .join("\n");
}
