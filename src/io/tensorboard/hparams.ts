// The three summaries of TensorBoard's hparams plugin, as torch.utils.tensorboard's add_hparams
// writes them: the experiment (which hyperparameters and metrics exist), the session's start
// (this run's hyperparameter values) and its end (status success). The metrics' values are
// ordinary scalars written next to them.

import { Tensor } from "../../tensor/tensor.js";
import { encodeMessage, HParamsPluginDataMessage, type SummaryValue } from "./event-proto.js";

export type HParamValue = number | string | boolean | Tensor | null | undefined;

const PLUGIN_NAME = "hparams";
export const EXPERIMENT_TAG = "_hparams_/experiment";
export const SESSION_START_INFO_TAG = "_hparams_/session_start_info";
export const SESSION_END_INFO_TAG = "_hparams_/session_end_info";

type ProtoValue = { numberValue: number } | { stringValue: string } | { boolValue: boolean };

function protoValue(owner: string, key: string, v: number | string | boolean | Tensor): { value: ProtoValue; type: string } {
  if (typeof v === "number") return { value: { numberValue: v }, type: "DATA_TYPE_FLOAT64" };
  if (typeof v === "string") return { value: { stringValue: v }, type: "DATA_TYPE_STRING" };
  // TensorBoard's own bool type (torch 1.13 files booleans as numbers, since Python's bool is an int).
  if (typeof v === "boolean") return { value: { boolValue: v }, type: "DATA_TYPE_BOOL" };
  if (v instanceof Tensor && v.numel() === 1) return { value: { numberValue: v.item() }, type: "DATA_TYPE_FLOAT64" };
  throw new TypeError(`${owner}: hyperparameter ${JSON.stringify(key)} must be a number, string, boolean or one-element Tensor, got ${v instanceof Tensor ? `a tensor of shape [${v.shape.join(", ")}]` : typeof v}`);
}

/** One summary value carrying HParamsPluginData in its metadata. */
function pluginSummary(tag: string, data: object): SummaryValue {
  const content = encodeMessage(HParamsPluginDataMessage, { version: 0, ...data });
  return { tag, metadata: { pluginData: { pluginName: PLUGIN_NAME, content } } };
}

export interface HParamsOptions {
  /** For each hyperparameter, every value it takes across runs (the hparams dashboard's filter). */
  hparamDomainDiscrete?: Record<string, (number | string | boolean)[]>;
}

/** The experiment, session-start and session-end summary values, in that order. */
export function hparamsSummaries(owner: string, hparams: Record<string, HParamValue>, metrics: Record<string, number>, opts: HParamsOptions = {}): SummaryValue[] {
  if (hparams === null || typeof hparams !== "object" || Array.isArray(hparams)) throw new TypeError(`${owner}: hparamDict must be an object of hyperparameter values`);
  if (metrics === null || typeof metrics !== "object" || Array.isArray(metrics)) throw new TypeError(`${owner}: metricDict must be an object of metric values`);
  const discrete = opts.hparamDomainDiscrete ?? {};
  for (const [k, values] of Object.entries(discrete)) {
    if (!(k in hparams) || !Array.isArray(values) || !values.every((d) => typeof d === typeof hparams[k])) {
      throw new TypeError(`${owner}: hparamDomainDiscrete[${JSON.stringify(k)}] must be an array of values of the same type as hparamDict[${JSON.stringify(k)}]`);
    }
  }
  const startValues: Record<string, ProtoValue> = {};
  const infos: object[] = [];
  for (const [k, v] of Object.entries(hparams)) {
    if (v === null || v === undefined) continue;
    const { value, type } = protoValue(owner, k, v);
    startValues[k] = value;
    const domain = discrete[k] ? { domainDiscrete: { values: discrete[k].map((d) => protoValue(owner, k, d).value) } } : {};
    infos.push({ name: k, type, ...domain });
  }
  const metricInfos = Object.keys(metrics).map((tag) => ({ name: { tag } }));
  return [
    pluginSummary(EXPERIMENT_TAG, { experiment: { hparamInfos: infos, metricInfos } }),
    pluginSummary(SESSION_START_INFO_TAG, { sessionStartInfo: { hparams: startValues } }),
    pluginSummary(SESSION_END_INFO_TAG, { sessionEndInfo: { status: "STATUS_SUCCESS" } }),
  ];
}
