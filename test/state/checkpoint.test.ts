import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeSafetensors, encodeSafetensors, readStoredObject, tensor, tensorsEqual, writeStoredObject,
  type StoredObject,
} from '../../lib/index.js';

const object = (): StoredObject => ({
  kind: 'state',
  algorithm: 'least-squares',
  hyperparameters: { feature_dim: 3, learning_rate: 'auto' },
  schema: { featureDim: 3, labelSize: 1 },
  tensors: { weights: tensor(Float32Array.from([0.5, -1, 2]), [1, 3]), loss: tensor(Float64Array.from([1.25])) },
  scalars: { examples_seen: 12, random: [1, 2, 3, 4] },
});

describe('checkpoint container', () => {
  let directory: string;
  before(async () => { directory = await mkdtemp(join(tmpdir(), 'boundless-checkpoint-')); });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('stores kind, format version, algorithm, hyperparameters, scalars and a CRC-32 in the metadata', async () => {
    const path = join(directory, 'state.safetensors');
    await writeStoredObject(path, object());
    const { metadata } = decodeSafetensors(await readFile(path));
    assert.equal(metadata.format, 'boundless-state');
    assert.equal(metadata.format_version, '1');
    assert.equal(metadata.algorithm, 'least-squares');
    assert.deepEqual(JSON.parse(metadata.hyperparameters), { feature_dim: 3, learning_rate: 'auto' });
    assert.deepEqual(JSON.parse(metadata.scalars), { examples_seen: 12, random: [1, 2, 3, 4] });
    assert.match(metadata.checksum, /^crc32:[0-9a-f]{8}$/);
    assert.match(metadata.created_by, /^boundless-ml \d+\.\d+\.\d+/);
    const loaded = await readStoredObject(path, { kind: 'state', algorithm: 'least-squares' });
    assert.deepEqual(loaded.scalars, object().scalars);
    for (const [name, t] of Object.entries(object().tensors)) assert.ok(tensorsEqual(loaded.tensors[name], t));
  });

  it('detects a flipped bit in the tensor data by its checksum', async () => {
    const path = join(directory, 'flipped.safetensors');
    await writeStoredObject(path, object());
    const bytes = await readFile(path);
    bytes[bytes.length - 3] ^= 0x10;
    await writeFile(path, bytes);
    await assert.rejects(readStoredObject(path),
      /flipped\.safetensors: checksum mismatch \(file says crc32:[0-9a-f]{8}, data is crc32:[0-9a-f]{8}\): the file is corrupt/);
  });

  async function rewriteMetadata(name: string, change: (metadata: Record<string, string>) => void): Promise<string> {
    const path = join(directory, name);
    await writeStoredObject(path, object());
    const content = decodeSafetensors(await readFile(path));
    change(content.metadata);
    await writeFile(path, encodeSafetensors(content));
    return path;
  }

  it('refuses a format version it does not know', async () => {
    const path = await rewriteMetadata('future.safetensors', (m) => { m.format_version = '99'; });
    await assert.rejects(readStoredObject(path), /format_version "99" is not one this version of boundless-ml reads \(known: 1\); upgrade boundless-ml/);
  });

  it('refuses a file that is not a boundless state or model', async () => {
    const path = join(directory, 'foreign.safetensors');
    await writeFile(path, encodeSafetensors({ tensors: { w: tensor(new Float32Array(2)) }, metadata: { format: 'pt' } }));
    await assert.rejects(readStoredObject(path), /not a boundless state or model \(metadata format is "pt"\)/);
  });

  it('refuses the wrong kind and the wrong algorithm', async () => {
    const path = join(directory, 'kind.safetensors');
    await writeStoredObject(path, object());
    await assert.rejects(readStoredObject(path, { kind: 'model' }), /is a state file, expected a model file/);
    await assert.rejects(readStoredObject(path, { algorithm: 'kmeans' }), /holds algorithm 'least-squares', expected 'kmeans'/);
  });

  it('refuses damaged JSON metadata', async () => {
    const path = await rewriteMetadata('badjson.safetensors', (m) => { m.scalars = '{oops'; });
    await assert.rejects(readStoredObject(path), /metadata 'scalars' is not a JSON object/);
  });
});
