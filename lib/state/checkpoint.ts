// States and models on disk: one safetensors container for both. The
// metadata records what the file is (kind, format version, algorithm), how
// it was trained (hyperparameters, data schema), the JSON scalars of the
// state (counters, RNG state, source position) and a CRC-32 of the tensor
// bytes, verified on load.
import { crc32 } from 'node:zlib';
import { writeFileAtomic } from './atomic-write.js';
import {
  decodeSafetensors, encodeSafetensorsParts, readSafetensorsFile,
  SafetensorsFormatError, type SafetensorsContent,
} from './safetensors.js';
import { densify, parseSparseEntries, sparsify } from './sparse-tensors.js';
import type { Tensor } from './tensor.js';
import { packageVersion } from '../package-root.js';

/** Bumped when a change makes old files unreadable; readers accept every version they know. */
export const formatVersion = 1;
const knownFormatVersions = new Set([1]);

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What a checkpoint or model file holds: the same shape for both kinds. */
export interface StoredObject {
  kind: 'state' | 'model';
  algorithm: string;
  hyperparameters: Record<string, JsonValue>;
  schema: Record<string, JsonValue>;
  tensors: Record<string, Tensor>;
  scalars: Record<string, JsonValue>;
  /** A checkpoint's training progress (epoch, source position, ...), owned by the trainer. */
  training?: Record<string, JsonValue>;
}

function payloadChecksum(parts: Iterable<Uint8Array>): string {
  let value = 0;
  for (const part of parts) value = crc32(part, value);
  return `crc32:${value.toString(16).padStart(8, '0')}`;
}

/** How encodeStoredObject writes: `sparse` writes mostly-zero tensors as their non-zero elements (sparse-tensors.ts). */
export interface EncodeOptions {
  sparse?: boolean;
}

function toContent(object: StoredObject, options: EncodeOptions = {}): SafetensorsContent {
  const { tensors, sparse } = options.sparse ? sparsify(object.tensors) : { tensors: object.tensors, sparse: {} };
  const names = Object.keys(tensors).sort();
  return {
    tensors,
    metadata: {
      format: `boundless-${object.kind}`,
      format_version: String(formatVersion),
      algorithm: object.algorithm,
      hyperparameters: JSON.stringify(object.hyperparameters),
      schema: JSON.stringify(object.schema),
      scalars: JSON.stringify(object.scalars),
      // Tensor bytes in the order they are written (sorted names), as the reader sees them.
      checksum: payloadChecksum(names.map((n) => {
        const d = tensors[n].data;
        return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      })),
      created_by: `boundless-ml ${packageVersion}`,
      ...(object.training ? { training: JSON.stringify(object.training) } : {}),
      ...(Object.keys(sparse).length > 0 ? { sparse_tensors: JSON.stringify(sparse) } : {}),
    },
  };
}

function parseJsonField(metadata: Record<string, string>, key: string, source: string): Record<string, JsonValue> {
  const text = metadata[key];
  if (text === undefined) throw new SafetensorsFormatError(`${source}: metadata has no '${key}'`);
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch (error) {
    throw new SafetensorsFormatError(`${source}: metadata '${key}' is not a JSON object (${(error as Error).message})`);
  }
}

function fromContent(content: SafetensorsContent, checksum: string, source: string,
  expected?: { kind?: 'state' | 'model'; algorithm?: string }): StoredObject {
  const { metadata } = content;
  const format = metadata.format;
  if (format !== 'boundless-state' && format !== 'boundless-model') {
    throw new SafetensorsFormatError(`${source}: not a boundless state or model (metadata format is ${JSON.stringify(format)})`);
  }
  const kind = format === 'boundless-state' ? 'state' : 'model';
  const version = Number(metadata.format_version);
  if (!knownFormatVersions.has(version)) {
    throw new SafetensorsFormatError(`${source}: format_version ${JSON.stringify(metadata.format_version)} is not one this ` +
      `version of boundless-ml reads (known: ${[...knownFormatVersions].join(', ')}); upgrade boundless-ml`);
  }
  if (metadata.checksum !== checksum) {
    throw new SafetensorsFormatError(`${source}: checksum mismatch (file says ${metadata.checksum}, data is ${checksum}): the file is corrupt`);
  }
  if (expected?.kind && expected.kind !== kind) {
    throw new SafetensorsFormatError(`${source}: is a ${kind} file, expected a ${expected.kind} file`);
  }
  if (expected?.algorithm && expected.algorithm !== metadata.algorithm) {
    throw new SafetensorsFormatError(`${source}: holds algorithm '${metadata.algorithm}', expected '${expected.algorithm}'`);
  }
  return {
    kind,
    algorithm: metadata.algorithm,
    hyperparameters: parseJsonField(metadata, 'hyperparameters', source),
    schema: parseJsonField(metadata, 'schema', source),
    scalars: parseJsonField(metadata, 'scalars', source),
    tensors: metadata.sparse_tensors === undefined ? content.tensors
      : densify(content.tensors, parseSparseEntries(metadata.sparse_tensors, source), source),
    ...(metadata.training !== undefined ? { training: parseJsonField(metadata, 'training', source) } : {}),
  };
}

/** Writes atomically: a crash at any moment leaves the previous file intact. */
export async function writeStoredObject(path: string, object: StoredObject): Promise<void> {
  await writeFileAtomic(path, encodeSafetensorsParts(toContent(object)));
}

export function encodeStoredObject(object: StoredObject, options: EncodeOptions = {}): Uint8Array {
  return Buffer.concat(encodeSafetensorsParts(toContent(object, options)));
}

export async function readStoredObject(path: string,
  expected?: { kind?: 'state' | 'model'; algorithm?: string }): Promise<StoredObject> {
  let running = 0;
  const content = await readSafetensorsFile(path, (bytes) => { running = crc32(bytes, running); });
  return fromContent(content, `crc32:${running.toString(16).padStart(8, '0')}`, path, expected);
}

export function decodeStoredObject(bytes: Uint8Array,
  expected?: { kind?: 'state' | 'model'; algorithm?: string }, source = 'buffer'): StoredObject {
  let running = 0;
  const content = decodeSafetensors(bytes, source, (data) => { running = crc32(data, running); });
  return fromContent(content, `crc32:${running.toString(16).padStart(8, '0')}`, source, expected);
}
