// ONNX protobuf decoding with protobufjs. The schema below is the part of onnx.proto (github.com/onnx/onnx,
// Apache-2.0) the importer reads, with the original field numbers; protobuf skips the fields left out.

import protobuf from 'protobufjs';
import { ConvertError } from '../../errors.js';

const SCHEMA = `
syntax = "proto2";
package onnx;
message AttributeProto {
  optional string name = 1;
  optional int32 type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
}
message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
}
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
}
message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}
message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  optional int32 data_location = 14;
  repeated double double_data = 10 [packed = true];
}
message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    };
  };
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
}
message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

/** int64 fields arrive as numbers or as Long objects (protobufjs with the long package). */
type Int64 = number | { toNumber(): number };

export interface TensorProto {
  dims: Int64[];
  data_type: number;
  float_data: number[];
  int32_data: number[];
  int64_data: Int64[];
  double_data: number[];
  name: string;
  raw_data: Uint8Array;
  data_location: number;
}
export interface AttributeProto {
  name: string;
  type: number;
  f: number;
  i: Int64;
  s: Uint8Array;
  t?: TensorProto;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: unknown[];
  g?: unknown;
}
export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: AttributeProto[];
}
export interface ValueInfoProto {
  name: string;
  type?: { tensor_type?: { elem_type: number; shape?: { dim: { dim_value?: Int64; dim_param?: string }[] } } };
}
export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
}
export interface ModelProto {
  ir_version: Int64;
  opset_import: { domain: string; version: Int64 }[];
  producer_name: string;
  producer_version: string;
  domain: string;
  model_version: Int64;
  doc_string: string;
  graph?: GraphProto;
  metadata_props: { key: string; value: string }[];
}

export const toNumber = (v: Int64 | undefined | null): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

let modelType: protobuf.Type | undefined;
const getType = () => (modelType ??= protobuf.parse(SCHEMA, { keepCase: true }).root.lookupType('onnx.ModelProto'));

/** Decodes an ONNX ModelProto; ConvertError when the bytes are not one. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  let m: ModelProto;
  try {
    m = getType().decode(bytes) as unknown as ModelProto;
  } catch (e) {
    throw new ConvertError(`not a valid ONNX model (protobuf: ${(e as Error).message})`);
  }
  if (!m.graph || m.graph.node.length === 0) throw new ConvertError('not a valid ONNX model: no graph, or a graph without nodes');
  if (toNumber(m.ir_version) < 3) throw new ConvertError(`not a valid ONNX model: ir_version ${toNumber(m.ir_version)} (need >= 3)`);
  return m;
}

/** Decodes one TensorProto (ONNX's test-data .pb files); ConvertError when the bytes are not one. */
export function decodeTensor(bytes: Uint8Array): TensorProto {
  try {
    return getType().root.lookupType('onnx.TensorProto').decode(bytes) as unknown as TensorProto;
  } catch (e) {
    throw new ConvertError(`not a valid ONNX TensorProto (protobuf: ${(e as Error).message})`);
  }
}

/** Encodes a (partial) ModelProto, field names as in onnx.proto; for tests and fixtures. */
export function encodeModel(m: Record<string, unknown>): Uint8Array {
  const t = getType();
  return t.encode(t.fromObject(m)).finish();
}

export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

const DT_NAMES = ['UNDEFINED', 'FLOAT', 'UINT8', 'INT8', 'UINT16', 'INT16', 'INT32', 'INT64', 'STRING', 'BOOL', 'FLOAT16',
  'DOUBLE', 'UINT32', 'UINT64', 'COMPLEX64', 'COMPLEX128', 'BFLOAT16'];
/** ONNX's name of a TensorProto data type ("INT64"), for error messages. */
export function dtypeName(t: number): string {
  return DT_NAMES[t] ?? `data type ${t}`;
}

/** A constant: its ONNX dims and values (floats as f32, integers and booleans as numbers). */
export interface Const {
  name: string;
  dims: number[];
  dtype: number;
  data: Float32Array | number[];
}

/** Values of an initializer or Constant tensor. */
export function tensorValues(t: TensorProto, where: string): Const {
  const dims = t.dims.map(toNumber);
  const n = dims.reduce((a, b) => a * b, 1);
  const bad = (msg: string): never => {
    throw new ConvertError(`${where}: tensor "${t.name}": ${msg}`);
  };
  if (t.data_location === 1) bad('external data is not supported (save the model with its weights inside)');
  const raw = t.raw_data && t.raw_data.length ? t.raw_data : null;
  const dv = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  const need = (bytes: number) => {
    if (raw && raw.length !== n * bytes) bad(`raw_data has ${raw.length} bytes, dims [${dims.join(',')}] need ${n * bytes}`);
  };
  const count = (len: number) => {
    if (len !== n) bad(`has ${len} values, dims [${dims.join(',')}] need ${n}`);
  };
  let data: Float32Array | number[];
  switch (t.data_type) {
    case DT.FLOAT:
      need(4);
      if (dv) {
        data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = dv.getFloat32(4 * i, true);
      } else {
        count(t.float_data.length);
        data = Float32Array.from(t.float_data);
      }
      break;
    case DT.DOUBLE:
      need(8);
      if (dv) data = Float32Array.from({ length: n }, (_, i) => dv.getFloat64(8 * i, true));
      else (count(t.double_data.length), (data = Float32Array.from(t.double_data)));
      break;
    case DT.INT64:
      need(8);
      if (dv) data = Array.from({ length: n }, (_, i) => Number(dv.getBigInt64(8 * i, true)));
      else (count(t.int64_data.length), (data = t.int64_data.map(toNumber)));
      break;
    case DT.INT32:
    case DT.INT16:
    case DT.UINT16:
    case DT.INT8:
    case DT.UINT8:
    case DT.BOOL: {
      const size = t.data_type === DT.INT32 ? 4 : t.data_type === DT.INT16 || t.data_type === DT.UINT16 ? 2 : 1;
      need(size);
      const get: Record<number, (i: number) => number> = {
        4: (i) => dv!.getInt32(4 * i, true),
        2: (i) => (t.data_type === DT.INT16 ? dv!.getInt16(2 * i, true) : dv!.getUint16(2 * i, true)),
        1: (i) => (t.data_type === DT.INT8 ? dv!.getInt8(i) : dv!.getUint8(i)),
      };
      if (dv) data = Array.from({ length: n }, (_, i) => get[size](i));
      else (count(t.int32_data.length), (data = [...t.int32_data]));
      break;
    }
    default:
      return bad(`data type ${dtypeName(t.data_type)} is not supported`);
  }
  return { name: t.name, dims, dtype: t.data_type, data };
}
