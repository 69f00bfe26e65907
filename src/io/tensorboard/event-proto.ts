// The protobuf messages of TensorBoard event files, declared here from the field numbers of
// TensorFlow's event.proto, summary.proto, tensor.proto and tensor_shape.proto, TensorBoard's
// hparams and text plugin protos, and google/protobuf/struct.proto. Only the messages and fields
// nabla writes are declared; unknown fields are harmless to readers, so the subset is compatible.
// protobufjs parses these sources once, at load, into one reflection root.

import protobuf from "protobufjs";

const TENSORFLOW = `
syntax = "proto3";
package tensorflow;

message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
    SessionLog session_log = 7;
  }
}

message SessionLog {
  enum SessionStatus { STATUS_UNSPECIFIED = 0; START = 1; STOP = 2; CHECKPOINT = 3; }
  SessionStatus status = 1;
  string checkpoint_path = 2;
  string msg = 3;
}

message HistogramProto {
  double min = 1;
  double max = 2;
  double num = 3;
  double sum = 4;
  double sum_squares = 5;
  repeated double bucket_limit = 6 [packed = true];
  repeated double bucket = 7 [packed = true];
}

enum DataClass {
  DATA_CLASS_UNKNOWN = 0;
  DATA_CLASS_SCALAR = 1;
  DATA_CLASS_TENSOR = 2;
  DATA_CLASS_BLOB_SEQUENCE = 3;
}

message SummaryMetadata {
  message PluginData {
    string plugin_name = 1;
    bytes content = 2;
  }
  PluginData plugin_data = 1;
  string display_name = 2;
  string summary_description = 3;
  DataClass data_class = 4;
}

message Summary {
  message Image {
    int32 height = 1;
    int32 width = 2;
    int32 colorspace = 3;
    bytes encoded_image_string = 4;
  }
  message Value {
    string node_name = 7;
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      Image image = 4;
      HistogramProto histo = 5;
      TensorProto tensor = 8;
    }
  }
  repeated Value value = 1;
}

enum DataType {
  DT_INVALID = 0;
  DT_FLOAT = 1;
  DT_DOUBLE = 2;
  DT_INT32 = 3;
  DT_UINT8 = 4;
  DT_STRING = 7;
  DT_INT64 = 9;
  DT_BOOL = 10;
}

message TensorShapeProto {
  message Dim {
    int64 size = 1;
    string name = 2;
  }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}

message TensorProto {
  DataType dtype = 1;
  TensorShapeProto tensor_shape = 2;
  int32 version_number = 3;
  bytes tensor_content = 4;
  repeated float float_val = 5 [packed = true];
  repeated double double_val = 6 [packed = true];
  repeated int32 int_val = 7 [packed = true];
  repeated bytes string_val = 8;
  repeated int64 int64_val = 10 [packed = true];
  repeated bool bool_val = 11 [packed = true];
}
`;

const GOOGLE_STRUCT = `
syntax = "proto3";
package google.protobuf;

enum NullValue { NULL_VALUE = 0; }

message Struct {
  map<string, Value> fields = 1;
}

message Value {
  oneof kind {
    NullValue null_value = 1;
    double number_value = 2;
    string string_value = 3;
    bool bool_value = 4;
    Struct struct_value = 5;
    ListValue list_value = 6;
  }
}

message ListValue {
  repeated Value values = 1;
}
`;

const TENSORBOARD_PLUGINS = `
syntax = "proto3";
package tensorboard;

message TextPluginData {
  int32 version = 1;
}

message HParamsPluginData {
  int32 version = 1;
  oneof data {
    Experiment experiment = 2;
    SessionStartInfo session_start_info = 3;
    SessionEndInfo session_end_info = 4;
  }
}

message SessionStartInfo {
  map<string, google.protobuf.Value> hparams = 1;
  string model_uri = 2;
  string monitor_url = 3;
  string group_name = 4;
  double start_time_secs = 5;
}

message SessionEndInfo {
  Status status = 1;
  double end_time_secs = 2;
}

message Experiment {
  string name = 6;
  string description = 1;
  string user = 2;
  double time_created_secs = 3;
  repeated HParamInfo hparam_infos = 4;
  repeated MetricInfo metric_infos = 5;
}

enum HParamDataType {
  DATA_TYPE_UNSET = 0;
  DATA_TYPE_STRING = 1;
  DATA_TYPE_BOOL = 2;
  DATA_TYPE_FLOAT64 = 3;
}

message Interval {
  double min_value = 1;
  double max_value = 2;
}

message HParamInfo {
  string name = 1;
  string display_name = 2;
  string description = 3;
  HParamDataType type = 4;
  oneof domain {
    google.protobuf.ListValue domain_discrete = 5;
    Interval domain_interval = 6;
  }
}

message MetricName {
  string group = 1;
  string tag = 2;
}

enum DatasetType {
  DATASET_UNKNOWN = 0;
  DATASET_TRAINING = 1;
  DATASET_VALIDATION = 2;
}

message MetricInfo {
  MetricName name = 1;
  string display_name = 3;
  string description = 4;
  DatasetType dataset_type = 5;
}

enum Status {
  STATUS_UNKNOWN = 0;
  STATUS_SUCCESS = 1;
  STATUS_FAILURE = 2;
  STATUS_RUNNING = 3;
}
`;

const root = new protobuf.Root();
for (const source of [GOOGLE_STRUCT, TENSORFLOW, TENSORBOARD_PLUGINS]) protobuf.parse(source, root, { keepCase: false });
root.resolveAll();

function type(name: string): protobuf.Type {
  return root.lookupType(name);
}

export const EventMessage = type("tensorflow.Event");
export const SummaryMessage = type("tensorflow.Summary");
export const HParamsPluginDataMessage = type("tensorboard.HParamsPluginData");
export const TextPluginDataMessage = type("tensorboard.TextPluginData");

/** Serialize a plain object as `message` (enums by name or number). */
export function encodeMessage(message: protobuf.Type, value: object): Uint8Array {
  const converted = message.fromObject(value as Record<string, unknown>);
  const problem = message.verify(converted);
  if (problem) throw new Error(`${message.name}: ${problem}`);
  return message.encode(converted).finish();
}

// Plain-object shapes of the messages nabla writes (camelCase field names, as protobufjs gives them).

export interface PluginData { pluginName: string; content?: Uint8Array }
export interface SummaryMetadata { pluginData?: PluginData; displayName?: string; summaryDescription?: string; dataClass?: string }
export interface HistogramValue { min: number; max: number; num: number; sum: number; sumSquares: number; bucketLimit: number[]; bucket: number[] }
export interface ImageValue { height: number; width: number; colorspace: number; encodedImageString: Uint8Array }
export interface TensorValue { dtype: string; tensorShape?: { dim: { size: number }[] }; stringVal?: Uint8Array[]; floatVal?: number[]; doubleVal?: number[] }
export interface SummaryValue {
  tag: string;
  metadata?: SummaryMetadata;
  simpleValue?: number;
  image?: ImageValue;
  histo?: HistogramValue;
  tensor?: TensorValue;
}
export interface EventValue { wallTime: number; step?: number; fileVersion?: string; summary?: { value: SummaryValue[] } }
