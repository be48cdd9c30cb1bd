// The safetensors container: an 8-byte little-endian header length, a JSON
// header (dtype, shape, data_offsets per tensor, and a `__metadata__` map of
// strings), then the raw little-endian tensor bytes.
//
// Reading trusts nothing: the header length is checked against the file
// size and a limit before it is read, every tensor's offsets and byte size
// are checked against the data area (in bounds, no overlap, no gaps) before
// any tensor memory is allocated. A hostile file gets an error, not a crash
// or a multi-gigabyte allocation.
import { endianness } from 'node:os';
import { open, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dtypeOf, dtypes, isDtype, type Dtype, type Tensor } from './tensor.js';

export interface SafetensorsContent {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** safetensors' own reader rejects headers over 100 MB. */
export const maxHeaderBytes = 100_000_000;

export class SafetensorsFormatError extends Error {
  override name = 'SafetensorsFormatError';
}

interface HeaderEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

function requireLittleEndian(): void {
  if (endianness() !== 'LE') {
    throw new Error('safetensors: big-endian hosts are not supported (tensor data is little-endian)');
  }
}

function bytesOf(tensor: Tensor): Uint8Array {
  return new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
}

/** The header bytes, padded with spaces so tensor data starts 8-byte aligned. */
function encodeHeader(content: SafetensorsContent): { header: Buffer; order: string[] } {
  const header: Record<string, unknown> = {};
  if (Object.keys(content.metadata).length > 0) {
    for (const [key, value] of Object.entries(content.metadata)) {
      if (typeof value !== 'string') {
        throw new TypeError(`safetensors: metadata '${key}' must be a string, got ${typeof value}`);
      }
    }
    header.__metadata__ = content.metadata;
  }
  const order = Object.keys(content.tensors).sort();
  let offset = 0;
  for (const name of order) {
    if (name === '__metadata__') throw new Error("safetensors: '__metadata__' cannot name a tensor");
    const tensor = content.tensors[name];
    const elements = tensor.shape.reduce((a, b) => a * b, 1);
    if (elements !== tensor.data.length) {
      throw new RangeError(`safetensors: tensor '${name}' has shape [${tensor.shape}] but ${tensor.data.length} elements`);
    }
    const bytes = tensor.data.byteLength;
    header[name] = { dtype: dtypeOf(tensor), shape: tensor.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Buffer.alloc(Math.ceil(json.length / 8) * 8, 0x20);
  json.copy(padded);
  return { header: padded, order };
}

/** Parts of the file in order (length prefix, header, tensor bytes), for writing without one big copy. */
export function encodeSafetensorsParts(content: SafetensorsContent): Uint8Array[] {
  requireLittleEndian();
  const { header, order } = encodeHeader(content);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  return [prefix, header, ...order.map((name) => bytesOf(content.tensors[name]))];
}

export function encodeSafetensors(content: SafetensorsContent): Uint8Array {
  return Buffer.concat(encodeSafetensorsParts(content));
}

/** Checks a parsed header against the data area size; returns entries sorted by offset. */
function validateHeader(json: unknown, dataBytes: number, source: string):
  { entries: HeaderEntry[]; metadata: Record<string, string> } {
  const fail = (why: string): never => { throw new SafetensorsFormatError(`${source}: ${why}`); };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('__metadata__ is not an object');
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (typeof item !== 'string') fail(`__metadata__ value '${key}' is not a string`);
        metadata[key] = item as string;
      }
      continue;
    }
    if (value === null || typeof value !== 'object') fail(`tensor '${name}' entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (!isDtype(dtype)) {
      fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(dtypes).join(', ')}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}' shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${name}' data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end || end > dataBytes) {
      fail(`tensor '${name}' data_offsets [${begin}, ${end}] fall outside the data area of ${dataBytes} bytes`);
    }
    let elements = 1;
    for (const d of shape as number[]) {
      elements *= d;
      if (!Number.isSafeInteger(elements)) fail(`tensor '${name}' shape ${JSON.stringify(shape)} is too large`);
    }
    const expected = elements * dtypes[dtype as Dtype].bytes;
    if (end - begin !== expected) {
      fail(`tensor '${name}' is ${end - begin} bytes but dtype ${dtype} and shape [${shape}] need ${expected}`);
    }
    entries.push({ name, dtype: dtype as Dtype, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const entry of entries) {
    if (entry.begin < cursor) fail(`tensor '${entry.name}' overlaps the tensor before it`);
    if (entry.begin > cursor) fail(`bytes ${cursor}..${entry.begin} of the data area belong to no tensor`);
    cursor = entry.end;
  }
  if (cursor !== dataBytes) fail(`data area is ${dataBytes} bytes but tensors cover ${cursor}`);
  return { entries, metadata };
}

function parseHeaderLength(prefix: Uint8Array, totalBytes: number, source: string): number {
  if (totalBytes < 8) throw new SafetensorsFormatError(`${source}: ${totalBytes} bytes is too short for a safetensors file (at least 8)`);
  const length = Buffer.from(prefix.buffer, prefix.byteOffset, 8).readBigUInt64LE(0);
  if (length > BigInt(totalBytes - 8)) {
    throw new SafetensorsFormatError(`${source}: header length ${length} exceeds the ${totalBytes - 8} bytes after the length prefix (truncated or not a safetensors file)`);
  }
  if (length > BigInt(maxHeaderBytes)) {
    throw new SafetensorsFormatError(`${source}: header length ${length} exceeds the limit of ${maxHeaderBytes} bytes`);
  }
  if (length < 2n) throw new SafetensorsFormatError(`${source}: header length ${length} is too short for a JSON object`);
  return Number(length);
}

function parseHeaderJson(bytes: Uint8Array, source: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SafetensorsFormatError(`${source}: header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw new SafetensorsFormatError(`${source}: header does not start with '{'`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SafetensorsFormatError(`${source}: header is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Decodes an in-memory file. Tensor data is copied, so the result does not alias `bytes`.
 * `onData` sees each tensor's bytes in file order.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors buffer',
  onData?: (bytes: Uint8Array) => void): SafetensorsContent {
  requireLittleEndian();
  const headerLength = parseHeaderLength(bytes.subarray(0, 8), bytes.length, source);
  const json = parseHeaderJson(bytes.subarray(8, 8 + headerLength), source);
  const dataStart = 8 + headerLength;
  const { entries, metadata } = validateHeader(json, bytes.length - dataStart, source);
  const tensors: Record<string, Tensor> = {};
  for (const entry of entries) {
    const data = dtypes[entry.dtype].create((entry.end - entry.begin) / dtypes[entry.dtype].bytes);
    const view = new Uint8Array(data.buffer);
    view.set(bytes.subarray(dataStart + entry.begin, dataStart + entry.end));
    onData?.(view);
    tensors[entry.name] = { shape: entry.shape, data, ...(entry.dtype === 'BOOL' ? { dtype: 'BOOL' as const } : {}) };
  }
  return { tensors, metadata };
}

/**
 * Reads a file, validating the header against the file size before allocating anything
 * for tensors. `onData` sees each tensor's bytes in file order (for a running checksum).
 */
export async function readSafetensorsFile(
  path: string, onData?: (bytes: Uint8Array) => void,
): Promise<SafetensorsContent> {
  requireLittleEndian();
  await requireSeekable(path);
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(8);
    if (size >= 8) await handle.read(prefix, 0, 8, 0);
    const headerLength = parseHeaderLength(prefix, size, path);
    const headerBytes = new Uint8Array(headerLength);
    await handle.read(headerBytes, 0, headerLength, 8);
    const json = parseHeaderJson(headerBytes, path);
    const dataStart = 8 + headerLength;
    const { entries, metadata } = validateHeader(json, size - dataStart, path);
    const tensors: Record<string, Tensor> = {};
    for (const entry of entries) {
      const byteLength = entry.end - entry.begin;
      const data = dtypes[entry.dtype].create(byteLength / dtypes[entry.dtype].bytes);
      const view = new Uint8Array(data.buffer);
      let done = 0;
      while (done < byteLength) {
        const { bytesRead } = await handle.read(view, done, byteLength - done, dataStart + entry.begin + done);
        if (bytesRead === 0) throw new SafetensorsFormatError(`${path}: file shrank while reading tensor '${entry.name}'`);
        done += bytesRead;
      }
      onData?.(view);
      tensors[entry.name] = { shape: entry.shape, data, ...(entry.dtype === 'BOOL' ? { dtype: 'BOOL' as const } : {}) };
    }
    return { tensors, metadata };
  } finally {
    await handle.close();
  }
}

/**
 * A safetensors file is read at offsets its header gives, which a pipe, a FIFO or a device cannot
 * serve (a pipe's size reads as 0; opening a FIFO that no one writes to never returns, and no
 * signal ends the wait). A directory is named as one (reading it gave a bare EISDIR), with the file it holds.
 */
async function requireSeekable(path: string): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    // As a missing input file reads (io/sources/files.ts), not as the system call's own words.
    if (error.code === 'ENOENT') throw new Error(`${path}: no such file or directory`);
    throw error;
  });
  if (info.isFile()) return;
  if (info.isDirectory()) {
    const inside = ['state.safetensors', 'model.safetensors'].filter((name) => existsSync(join(path, name)));
    throw new Error(`${path}: is a directory, not a state or model file` +
      (inside.length ? ` (it holds ${inside.join(' and ')}: pass ${join(path, inside[0])})` : ''));
  }
  const kind = info.isFIFO() ? 'a pipe or FIFO' : info.isSocket() ? 'a socket' : 'a device';
  throw new SafetensorsFormatError(`${path}: is ${kind}, not a file; a state or model is read at offsets its header gives: save it to a file first`);
}

/** The `__metadata__` map of a file, reading only its header (for a quick look at large files). */
export async function readSafetensorsMetadata(path: string): Promise<Record<string, string>> {
  await requireSeekable(path);
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(8);
    if (size >= 8) await handle.read(prefix, 0, 8, 0);
    const headerBytes = new Uint8Array(parseHeaderLength(prefix, size, path));
    await handle.read(headerBytes, 0, headerBytes.length, 8);
    const metadata = (parseHeaderJson(headerBytes, path) as { __metadata__?: unknown }).__metadata__;
    return metadata !== null && typeof metadata === 'object' ? metadata as Record<string, string> : {};
  } finally {
    await handle.close();
  }
}
