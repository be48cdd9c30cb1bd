// Tensors as state holds them: a typed array and a shape. The dtype names
// are safetensors' own, so Python's safetensors and numpy read our files.

export type TensorArray =
  | Float64Array | Float32Array
  | BigInt64Array | BigUint64Array
  | Int32Array | Uint32Array
  | Int16Array | Uint16Array
  | Int8Array | Uint8Array;

export type Dtype = 'F64' | 'F32' | 'I64' | 'U64' | 'I32' | 'U32' | 'I16' | 'U16' | 'I8' | 'U8' | 'BOOL';

export interface Tensor {
  shape: number[];
  data: TensorArray;
  /** Only needed to mark a Uint8Array as BOOL; otherwise implied by the array type. */
  dtype?: Dtype;
}

interface DtypeInfo {
  bytes: number;
  create(length: number): TensorArray;
}

export const dtypes: Record<Dtype, DtypeInfo> = {
  F64: { bytes: 8, create: (n) => new Float64Array(n) },
  F32: { bytes: 4, create: (n) => new Float32Array(n) },
  I64: { bytes: 8, create: (n) => new BigInt64Array(n) },
  U64: { bytes: 8, create: (n) => new BigUint64Array(n) },
  I32: { bytes: 4, create: (n) => new Int32Array(n) },
  U32: { bytes: 4, create: (n) => new Uint32Array(n) },
  I16: { bytes: 2, create: (n) => new Int16Array(n) },
  U16: { bytes: 2, create: (n) => new Uint16Array(n) },
  I8: { bytes: 1, create: (n) => new Int8Array(n) },
  U8: { bytes: 1, create: (n) => new Uint8Array(n) },
  BOOL: { bytes: 1, create: (n) => new Uint8Array(n) },
};

export function isDtype(value: unknown): value is Dtype {
  return typeof value === 'string' && Object.hasOwn(dtypes, value);
}

/** The dtype a typed array stores as. */
export function dtypeOf(tensor: Tensor): Dtype {
  if (tensor.dtype) return tensor.dtype;
  const data = tensor.data;
  if (data instanceof Float64Array) return 'F64';
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof BigUint64Array) return 'U64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint32Array) return 'U32';
  if (data instanceof Int16Array) return 'I16';
  if (data instanceof Uint16Array) return 'U16';
  if (data instanceof Int8Array) return 'I8';
  if (data instanceof Uint8Array) return 'U8';
  throw new TypeError(`unsupported tensor array type ${(data as object)?.constructor?.name}`);
}

/** A tensor over `data`, one-dimensional unless a shape is given; the shape must match the length. */
export function tensor(data: TensorArray, shape: number[] = [data.length]): Tensor {
  const elements = shape.reduce((a, b) => a * b, 1);
  if (elements !== data.length) {
    throw new RangeError(`tensor shape [${shape.join(', ')}] holds ${elements} elements, array has ${data.length}`);
  }
  return { shape: [...shape], data };
}

/** Deep copy. */
export function cloneTensor(source: Tensor): Tensor {
  return { shape: [...source.shape], data: source.data.slice() as TensorArray, ...(source.dtype ? { dtype: source.dtype } : {}) };
}

/** True when both have the same dtype, shape and bytes. */
export function tensorsEqual(a: Tensor, b: Tensor): boolean {
  if (dtypeOf(a) !== dtypeOf(b) || a.shape.length !== b.shape.length) return false;
  if (a.shape.some((d, i) => d !== b.shape[i])) return false;
  const bytesA = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const bytesB = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return Buffer.compare(bytesA, bytesB) === 0;
}
