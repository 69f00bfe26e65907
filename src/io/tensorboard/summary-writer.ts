// nb.io.SummaryWriter: torch.utils.tensorboard.SummaryWriter for nabla. Scalars, histograms,
// images, text and hyperparameters go into TensorBoard event files under `logDir`, so
// `tensorboard --logdir runs` shows a nabla run as it shows a PyTorch one.

import { hostname } from "node:os";
import { join } from "node:path";
import { Tensor } from "../../tensor/tensor.js";
import { checkOptions, describe, optionNames } from "../../core/options.js";
import { encodeMessage, TextPluginDataMessage, type SummaryValue } from "./event-proto.js";
import { EventFileWriter, type EventFileOptions } from "./event-file-writer.js";
import { makeHistogram, type HistogramBins } from "./histogram.js";
import { imageValue } from "./image-summary.js";
import { hparamsSummaries, type HParamValue, type HParamsOptions } from "./hparams.js";

export interface SummaryWriterOptions {
  /** Seconds between automatic flushes of pending events (default 120, as torch). */
  flushSecs?: number;
  /** Pending events that force a flush (default 10, as torch). */
  maxQueue?: number;
  /** Appended to every event file name. */
  filenameSuffix?: string;
}
export const SUMMARY_WRITER_OPTIONS = optionNames<SummaryWriterOptions>({ flushSecs: 1, maxQueue: 1, filenameSuffix: 1 });

export interface HistogramOptions {
  /** "tensorflow" (TensorFlow's default exponential buckets), a bin count, or bin edges. */
  bins?: HistogramBins;
  /** Merge adjacent bins down to at most this many. */
  maxBins?: number;
  walltime?: number;
}
export const HISTOGRAM_OPTIONS = optionNames<HistogramOptions>({ bins: 1, maxBins: 1, walltime: 1 });

export interface ImageOptions {
  /** Axis order of the image: "CHW" (default for addImage), "HWC", "HW"; "NCHW", "NHWC" for addImages. */
  dataformats?: string;
  walltime?: number;
}
export const IMAGE_OPTIONS = optionNames<ImageOptions>({ dataformats: 1, walltime: 1 });

export interface AddHparamsOptions extends HParamsOptions {
  /** The sub-folder of logDir the session is written to (default: the current time in seconds). */
  runName?: string;
}
export const ADD_HPARAMS_OPTIONS = optionNames<AddHparamsOptions>({ hparamDomainDiscrete: 1, runName: 1 });

/** torch's default folder: runs/<Mon><DD>_<HH>-<MM>-<SS>_<hostname>. */
function defaultLogDir(): string {
  const d = new Date();
  const two = (n: number) => String(n).padStart(2, "0");
  const month = d.toLocaleString("en-US", { month: "short" });
  return join("runs", `${month}${two(d.getDate())}_${two(d.getHours())}-${two(d.getMinutes())}-${two(d.getSeconds())}_${hostname()}`);
}

export class SummaryWriter {
  readonly logDir: string;
  private readonly fileOptions: EventFileOptions;
  private main: EventFileWriter | null = null;
  /** addScalars' writers, one per sub-run folder. */
  private readonly subRuns = new Map<string, EventFileWriter>();

  constructor(logDir?: string, opts: SummaryWriterOptions = {}) {
    checkOptions("SummaryWriter", opts, SUMMARY_WRITER_OPTIONS);
    if (logDir !== undefined && (typeof logDir !== "string" || logDir.length === 0)) throw new TypeError(`SummaryWriter: logDir must be a non-empty string, got ${describe(logDir)}`);
    const { flushSecs = 120, maxQueue = 10, filenameSuffix = "" } = opts;
    if (!(typeof flushSecs === "number" && flushSecs > 0)) throw new RangeError(`SummaryWriter: flushSecs must be a positive number of seconds, got ${describe(flushSecs)}`);
    if (!(Number.isInteger(maxQueue) && maxQueue >= 1)) throw new RangeError(`SummaryWriter: maxQueue must be a positive integer, got ${describe(maxQueue)}`);
    if (typeof filenameSuffix !== "string" || /[/\\]/.test(filenameSuffix)) throw new TypeError(`SummaryWriter: filenameSuffix must be a string without path separators, got ${describe(filenameSuffix)}`);
    this.logDir = logDir ?? defaultLogDir();
    this.fileOptions = { flushSecs, maxQueue, filenameSuffix };
    this.writer();
  }

  /** The event file this writer writes now (a new one after close()). */
  get eventFile(): string {
    return this.writer().path;
  }

  /** The main writer, reopened (as a new file) after close(), as torch does. */
  private writer(): EventFileWriter {
    if (this.main === null || this.main.closed) this.main = new EventFileWriter(this.logDir, this.fileOptions);
    return this.main;
  }

  /** One scalar: `value` a number or a one-element tensor. */
  addScalar(tag: string, value: number | Tensor, globalStep?: number, walltime?: number): void {
    checkTag("addScalar", tag);
    const v = scalarOf("addScalar", tag, value);
    this.writer().addSummary([{ tag, simpleValue: v }], checkStep("addScalar", globalStep), checkWalltime("addScalar", walltime));
  }

  /**
   * Several scalars on one chart: as torch, each key goes to its own run folder
   * `<logDir>/<mainTag>_<key>` (slashes in mainTag become "_") under the tag `mainTag`.
   */
  addScalars(mainTag: string, tagScalarDict: Record<string, number | Tensor>, globalStep?: number, walltime?: number): void {
    checkTag("addScalars", mainTag);
    if (tagScalarDict === null || typeof tagScalarDict !== "object" || Array.isArray(tagScalarDict)) throw new TypeError(`addScalars(${JSON.stringify(mainTag)}): tagScalarDict must be an object such as { train: 0.5, val: 0.7 }`);
    const step = checkStep("addScalars", globalStep);
    const time = checkWalltime("addScalars", walltime) ?? Date.now() / 1000;
    for (const [key, value] of Object.entries(tagScalarDict)) {
      const v = scalarOf("addScalars", `${mainTag}/${key}`, value);
      const dir = join(this.logDir, `${mainTag.replace(/\//g, "_")}_${key}`);
      let w = this.subRuns.get(dir);
      if (!w || w.closed) this.subRuns.set(dir, (w = new EventFileWriter(dir, this.fileOptions)));
      w.addSummary([{ tag: mainTag, simpleValue: v }], step, time);
    }
  }

  /**
   * A histogram of `values` (any shape; finite), bucketed as torch.utils.tensorboard does. A
   * tensor is read synchronously: for one on the cuda backend pass `await t.data()`.
   */
  addHistogram(tag: string, values: Tensor | ArrayLike<number>, globalStep?: number, opts: HistogramOptions = {}): void {
    checkTag("addHistogram", tag);
    checkOptions("addHistogram", opts, HISTOGRAM_OPTIONS);
    const data = values instanceof Tensor ? values.dataSync() : values;
    if (data === null || typeof data !== "object" || typeof data.length !== "number") throw new TypeError(`addHistogram(${JSON.stringify(tag)}): values must be a Tensor or an array of numbers, got ${describe(values)}`);
    const histo = makeHistogram(data, opts.bins ?? "tensorflow", tag, opts.maxBins);
    this.writer().addSummary([{ tag, histo }], checkStep("addHistogram", globalStep), checkWalltime("addHistogram", opts.walltime));
  }

  /** One image, values in [0, 1], shape [C, H, W] by default (C = 1, 3 or 4); stored as PNG. */
  addImage(tag: string, img: Tensor, globalStep?: number, opts: ImageOptions = {}): void {
    this.image("addImage", tag, img, globalStep, opts, "CHW");
  }

  /** A batch of images [N, C, H, W] by default, laid out in a grid of up to 8 columns (as torch). */
  addImages(tag: string, imgs: Tensor, globalStep?: number, opts: ImageOptions = {}): void {
    this.image("addImages", tag, imgs, globalStep, opts, "NCHW");
  }

  private image(owner: string, tag: string, img: Tensor, globalStep: number | undefined, opts: ImageOptions, defaultFormat: string): void {
    checkTag(owner, tag);
    checkOptions(owner, opts, IMAGE_OPTIONS);
    if (!(img instanceof Tensor)) throw new TypeError(`${owner}(${JSON.stringify(tag)}): the image must be a Tensor, got ${describe(img)}`);
    const format = opts.dataformats ?? defaultFormat;
    if (typeof format !== "string") throw new TypeError(`${owner}(${JSON.stringify(tag)}): dataformats must be a string such as "${defaultFormat}"`);
    const image = imageValue(`${owner}(${JSON.stringify(tag)})`, img, format);
    this.writer().addSummary([{ tag, image }], checkStep(owner, globalStep), checkWalltime(owner, opts.walltime));
  }

  /** Text (markdown) for TensorBoard's text dashboard, under the tag `<tag>/text_summary` as torch. */
  addText(tag: string, text: string, globalStep?: number, walltime?: number): void {
    checkTag("addText", tag);
    if (typeof text !== "string") throw new TypeError(`addText(${JSON.stringify(tag)}): text must be a string, got ${describe(text)}`);
    const value: SummaryValue = {
      tag: `${tag}/text_summary`,
      metadata: { pluginData: { pluginName: "text", content: encodeMessage(TextPluginDataMessage, {}) } },
      tensor: { dtype: "DT_STRING", tensorShape: { dim: [{ size: 1 }] }, stringVal: [new TextEncoder().encode(text)] },
    };
    this.writer().addSummary([value], checkStep("addText", globalStep), checkWalltime("addText", walltime));
  }

  /**
   * One hyperparameter session for the HParams dashboard, as torch: a new run folder
   * `<logDir>/<runName>` holding the experiment, the session's start and end, and each metric as
   * a scalar.
   */
  addHparams(hparamDict: Record<string, HParamValue>, metricDict: Record<string, number>, opts: AddHparamsOptions = {}): void {
    checkOptions("addHparams", opts, ADD_HPARAMS_OPTIONS);
    const summaries = hparamsSummaries("addHparams", hparamDict, metricDict, opts);
    for (const [k, v] of Object.entries(metricDict)) scalarOf("addHparams", k, v);
    const runName = opts.runName ?? String(Date.now() / 1000);
    if (typeof runName !== "string" || runName.length === 0) throw new TypeError(`addHparams: runName must be a non-empty string, got ${describe(runName)}`);
    const w = new SummaryWriter(join(this.logDir, runName), this.fileOptions);
    try {
      for (const s of summaries) w.writer().addSummary([s]);
      for (const [k, v] of Object.entries(metricDict)) w.addScalar(k, v);
    } finally {
      w.close();
    }
  }

  /** Write every pending event to disk. */
  flush(): void {
    this.main?.flush();
    for (const w of this.subRuns.values()) w.flush();
  }

  /** Flush and close every file; a later add starts a new event file. */
  close(): void {
    const errors: Error[] = [];
    for (const w of [this.main, ...this.subRuns.values()]) {
      try { w?.close(); } catch (e) { errors.push(e as Error); }
    }
    this.subRuns.clear();
    if (errors.length) throw errors[0];
  }
}

function checkTag(owner: string, tag: unknown): asserts tag is string {
  if (typeof tag !== "string" || tag.length === 0) throw new TypeError(`${owner}: tag must be a non-empty string, got ${describe(tag)}`);
}

function checkStep(owner: string, step: unknown): number | undefined {
  if (step === undefined || step === null) return undefined;
  if (typeof step !== "number" || !Number.isSafeInteger(step)) throw new TypeError(`${owner}: globalStep must be an integer, got ${describe(step)}`);
  return step;
}

function checkWalltime(owner: string, walltime: unknown): number | undefined {
  if (walltime === undefined || walltime === null) return undefined;
  if (typeof walltime !== "number" || !Number.isFinite(walltime)) throw new TypeError(`${owner}: walltime must be seconds since the epoch, got ${describe(walltime)}`);
  return walltime;
}

function scalarOf(owner: string, tag: string, value: unknown): number {
  if (typeof value === "number") return value;
  if (value instanceof Tensor && value.numel() === 1) return value.item();
  const what = value instanceof Tensor ? `a tensor of shape [${value.shape.join(", ")}]` : describe(value);
  throw new TypeError(`${owner}(${JSON.stringify(tag)}): the value must be a number or a one-element Tensor, got ${what}`);
}
