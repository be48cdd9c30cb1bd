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

describe('saving and loading: the arguments checked first', () => {
  let directory: string;
  before(async () => { directory = await mkdtemp(join(tmpdir(), 'boundless-persistence-args-')); });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('a missing algorithm, a backend not awaited, a state for a model and the reverse: errors naming the argument', async () => {
    // Each failed later with `Cannot read properties of undefined (reading 'name')`, or `model.data is not a function`.
    const { createBackend, linearLearner, loadModel, loadState, readBatches, saveModel, saveState, train } = await import('../../lib/index.js');
    const rows = Array.from({ length: 200 }, (_, i) => [i % 2, Math.sin(i), Math.cos(i)]);
    const { model, state } = await train(linearLearner, { predictor_type: 'binary_classifier' }, { train: rows, data: { featureDim: 2 }, epochs: 1 });
    const modelPath = join(directory, 'model.safetensors');
    const statePath = join(directory, 'state.safetensors');
    await saveModel(modelPath, model);
    await saveState(statePath, state);
    const cpu = await createBackend('cpu');
    const untyped = { loadModel, loadState, saveModel, saveState, readBatches } as unknown as Record<string, (...args: unknown[]) => unknown>;
    const algorithm = /algorithm must be an algorithm object \(linearLearner, kmeans, … from 'boundless-ml', or getAlgorithm\(name\)\), got /;
    await assert.rejects(async () => untyped.loadModel(modelPath), { name: 'TypeError', message: new RegExp(`^loadModel: ${algorithm.source}undefined$`) });
    await assert.rejects(async () => untyped.loadModel(modelPath, 'linear-learner', cpu), { message: new RegExp(`^loadModel: ${algorithm.source}"linear-learner"$`) });
    await assert.rejects(async () => untyped.loadState(statePath), { message: new RegExp(`^loadState: ${algorithm.source}undefined$`) });
    await assert.rejects(async () => untyped.loadModel(modelPath, linearLearner), { message: "loadModel: backend must be a Backend (await createBackend('cpu') or createBackend('auto')), got undefined" });
    await assert.rejects(async () => untyped.loadModel(modelPath, linearLearner, createBackend('cpu')), { message: /got a promise \(await it\)$/ });
    await assert.rejects(async () => untyped.saveModel(join(directory, 'x'), state), { message: 'saveModel: expected a model, got an object (Object) (a state: saveState writes states)' });
    await assert.rejects(async () => untyped.saveState(join(directory, 'x'), model), { message: /^saveState: expected a state, got an object \(LinearLearnerModel\) \(a model: saveModel writes models\)$/ });
    assert.throws(() => untyped.readBatches(statePath), { name: 'TypeError', message: 'readBatches: options are required ({ miniBatchSize, format, … }), got undefined' });
    // A batch size the trainer cannot read: said, as readBatches says it (the linear learner trained 32-row batches).
    for (const asked of [0, -5, 1.5]) {
      await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { train: rows, data: { featureDim: 2, miniBatchSize: asked }, epochs: 1 }),
        { name: 'RangeError', message: `train: data.miniBatchSize must be a positive integer, got ${asked}` });
    }
    // The right arguments load what was saved.
    assert.equal((await loadModel(modelPath, linearLearner, cpu)).data().algorithm, 'linear-learner');
  });
});
