// Writing SageMaker's recordIO-protobuf (reading is native, in
// native/io/recordio_parser.cc). Each record is an aialgs.data.Record whose
// `features` and `label` maps hold a Float32Tensor under "values": dense
// values, or sparse keys + values + shape [feature_dim]. Each record is
// framed by RecordIO: magic 0xced7230a, a word of flag (0: whole record) and
// length, the payload, zero padding to 4 bytes.

/** The 32-bit little-endian word that starts every RecordIO frame. */
export const recordioMagic = 0xced7230a;

class ProtoWriter {
  private bytes = new Uint8Array(64);
  private length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  varint(value: number): void {
    // Values here are lengths, keys and field tags: non-negative and below 2^53.
    this.reserve(10);
    let v = value;
    while (v >= 0x80) {
      this.bytes[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.bytes[this.length++] = v;
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  lengthDelimited(field: number, payload: Uint8Array): void {
    this.tag(field, 2);
    this.varint(payload.length);
    this.reserve(payload.length);
    this.bytes.set(payload, this.length);
    this.length += payload.length;
  }

  finish(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

function packedFloats(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}

function packedVarints(values: ArrayLike<number>): Uint8Array {
  const writer = new ProtoWriter();
  for (let i = 0; i < values.length; i++) writer.varint(values[i]);
  return writer.finish();
}

function float32Tensor(values: ArrayLike<number>, keys?: ArrayLike<number>, shape?: ArrayLike<number>): Uint8Array {
  const tensor = new ProtoWriter();
  if (values.length > 0) tensor.lengthDelimited(1, packedFloats(values));
  if (keys && keys.length > 0) tensor.lengthDelimited(2, packedVarints(keys));
  if (shape && shape.length > 0) tensor.lengthDelimited(3, packedVarints(shape));
  return tensor.finish();
}

/** A map<string, Value> entry: "values" → Value{float32_tensor}. */
function valuesEntry(tensor: Uint8Array): Uint8Array {
  const value = new ProtoWriter();
  value.lengthDelimited(2, tensor);
  const entry = new ProtoWriter();
  entry.lengthDelimited(1, new TextEncoder().encode('values'));
  entry.lengthDelimited(2, value.finish());
  return entry.finish();
}

export interface RecordFeatures {
  /** Dense: every feature. Sparse: the non-zero values, with `keys`. */
  values: ArrayLike<number>;
  keys?: ArrayLike<number>;
  /** Sparse: the feature dimension, written as shape [featureDim]. */
  featureDim?: number;
}

/** One Record message (without framing). */
export function encodeRecord(features: RecordFeatures, label?: number): Uint8Array {
  const record = new ProtoWriter();
  const sparse = features.keys !== undefined;
  record.lengthDelimited(1, valuesEntry(float32Tensor(features.values, features.keys,
    sparse && features.featureDim !== undefined ? [features.featureDim] : undefined)));
  if (label !== undefined) record.lengthDelimited(2, valuesEntry(float32Tensor([label])));
  return record.finish();
}

/** A RecordIO frame around one payload. */
export function frameRecord(payload: Uint8Array): Uint8Array {
  if (payload.length >= 2 ** 29) throw new RangeError(`recordIO: a record of ${payload.length} bytes exceeds the 2^29 - 1 byte frame limit`);
  const padded = Math.ceil(payload.length / 4) * 4;
  const frame = new Uint8Array(8 + padded);
  const view = new DataView(frame.buffer);
  view.setUint32(0, recordioMagic, true);
  view.setUint32(4, payload.length, true); // flag 0: a whole record
  frame.set(payload, 8);
  return frame;
}
