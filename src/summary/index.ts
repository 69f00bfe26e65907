export { summary, type Summary, type SummaryRow } from "./summary.js";
export { explain, type Explanation, type ExplainRow } from "./explain.js";
