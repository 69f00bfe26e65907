export { summary, type Summary, type SummaryRow, type SummaryOptions } from "./summary.js";
export { explain, type Explanation, type ExplainRow } from "./explain.js";
