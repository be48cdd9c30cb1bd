// The public API of boundless-ml: re-exports only.
export { listBackends, resolveBackend, createBackend, requestedBackend } from './backends/select.js';
export type { BackendChoice, BackendReport } from './backends/select.js';
export type { Backend, BackendName, BackendAvailability, BackendDefinition, KernelFunction } from './backends/registry.js';
export { registerBackend, registerKernel, getKernel, hasKernel, backendNames } from './backends/registry.js';
export { kernelNames, denseLinearTolerance, validateDenseLinear, KernelDeclined } from './backends/kernels.js';
export { runKernel, strictBackend, StrictBackendError } from './backends/run-kernel.js';
export { KernelCounters } from './backends/kernel-counters.js';
export { settleState, isSettled } from './backends/device-state.js';
export { pcaMomentsTolerance } from './backends/webgpu-pca.js';
export type { KernelCount, KernelCounts } from './backends/kernel-counters.js';
export { coverageTable, coverageMarkdown, operations as kernelOperations } from './backends/coverage.js';
export type { KernelName, KernelInputs, KernelOutputs, DenseLinearInputs } from './backends/kernels.js';
export { loadCoreAddon } from './backends/native-addon.js';

export { parseHyperparameters, describeAllowed, camelToSnake, snakeToCamel, HyperparameterError } from './algorithms/hyperparameters.js';
export type {
  HyperparameterSchema, HyperparameterSpec, HyperparameterValues, HyperparameterInput,
  NumberSpec, BoolSpec, EnumSpec, StringSpec,
} from './algorithms/hyperparameters.js';
export type { Algorithm, AlgorithmName, DataSchema, State, Model, ModelData, Predictions, Selection, Evaluator } from './algorithms/types.js';
export { Random } from './random.js';
export type { RandomState } from './random.js';

export { denseBatch, validateBatch, BatchError } from './data/batch.js';
export type { Batch, BatchWords, DenseBatch, RowBatch, SeriesBatch, SparseBatch } from './data/batch.js';

export { tensor, dtypeOf, cloneTensor, tensorsEqual } from './state/tensor.js';
export type { Tensor, TensorArray, Dtype } from './state/tensor.js';
export {
  encodeSafetensors, decodeSafetensors, readSafetensorsFile, SafetensorsFormatError, maxHeaderBytes,
} from './state/safetensors.js';
export type { SafetensorsContent } from './state/safetensors.js';
export { writeFileAtomic } from './state/atomic-write.js';
export { readStoredObject, writeStoredObject, formatVersion } from './state/checkpoint.js';
export type { StoredObject, JsonValue } from './state/checkpoint.js';
export { saveState, loadState, stateToBytes, stateFromBytes, saveModel, loadModel, modelFromStored } from './algorithms/persistence.js';

export { BatchPool } from './data/batch-pool.js';
export type { PoolShape, PooledBatch } from './data/batch-pool.js';
export { readBatches } from './io/read-batches.js';
export { DataError, formatNames } from './io/read-options.js';
export type { ReadOptions, FormatName } from './io/read-options.js';
export type { ReadBatch, ReadStats, BatchStream, CommittableInput } from './io/batch-stream.js';
export { fileSource, resolveFiles } from './io/sources/files.js';
export type { FileSourceOptions } from './io/sources/files.js';
export { streamSource, stdinSource } from './io/sources/streams.js';
export { recordSource } from './io/sources/records.js';
export { openSource } from './io/sources/open-source.js';
export type { SourceInput, OpenSourceOptions } from './io/sources/open-source.js';
export type { Source, ByteSource, RecordSource, ByteChunk, RecordInput, SourcePosition, EntriesPosition } from './io/sources/types.js';
export { RedisStreamSource } from './io/sources/redis-stream.js';
export type { RedisStreamOptions, RedisSourceSettings } from './io/sources/redis-stream.js';
export { writeStream } from './io/redis/stream-writer.js';
export type { WriteStreamOptions, WriteStreamSummary, StreamRecord } from './io/redis/stream-writer.js';
export { RedisUrlError } from './io/redis/redis-url.js';
export { readSeries, toSeriesRecord } from './io/formats/deepar-series.js';
export type { SeriesRecord, SeriesOptions, PositionedSeries } from './io/formats/deepar-series.js';
export { encodeRecord, frameRecord } from './io/formats/recordio-protobuf.js';
export type { RecordFeatures } from './io/formats/recordio-protobuf.js';
export { outputFormats } from './io/formats/row-writers.js';
export { writeRows } from './io/write-rows.js';
export type { WriteSummary } from './io/write-rows.js';
export type { OutputFormat } from './io/formats/row-writers.js';
export { float32ToString } from './io/formats/float32-text.js';
export { FeatureStatistics } from './data/feature-stats.js';
export { shuffleBatches } from './data/shuffle-buffer.js';
export type { ShuffleOptions } from './data/shuffle-buffer.js';
export { saveCheckpoint, loadCheckpoint } from './algorithms/persistence.js';
export { CheckpointDirectory, CheckpointSchedule } from './train/checkpoint-directory.js';
export type { CheckpointInfo, ResumedCheckpoint } from './train/checkpoint-directory.js';
export { train } from './distributed/train.js';
export { trainOnCluster } from './distributed/cluster/train.js';
export type { ClusterOptions, ClusterTrainResult } from './distributed/cluster/train.js';
export type { SyncEvery } from './distributed/sync-policy.js';
export type { TrainOptions, TrainResult } from './train/train.js';
export type { ProgressEvent } from './train/progress.js';
export { registerAlgorithm, getAlgorithm, listAlgorithms, loadAlgorithmModule } from './algorithms/registry.js';
export { oneUpdateAtATime } from './algorithms/counted-update.js';

import './algorithms/builtin.js';
export { linearLearner, LinearLearnerModel, linearLearnerSchema } from './algorithms/linear-learner/index.js';
export type {
  LinearLearnerHyperparameters, LinearLearnerState, LinearLearnerPredictOptions, LinearLearnerPredictions,
} from './algorithms/linear-learner/index.js';
export type { PredictOptions, Objective, StateValidator, FinalizedModel } from './algorithms/types.js';
export { kmeans, KmeansModel, kmeansSchema } from './algorithms/kmeans/index.js';
export type { KmeansHyperparameters, KmeansState } from './algorithms/kmeans/index.js';
export { pca, PcaModel, pcaSchema, sketchSize } from './algorithms/pca/index.js';
export type { PcaHyperparameters, PcaState } from './algorithms/pca/index.js';
export { factorizationMachines, FactorizationMachinesModel, factorizationMachinesSchema } from './algorithms/factorization-machines/index.js';
export type { FactorizationMachinesHyperparameters, FactorizationMachinesState, Recommendations } from './algorithms/factorization-machines/index.js';
export { ntm, NtmModel, ntmSchema, topWords, npmiPerTopic, topicUniqueness } from './algorithms/ntm/index.js';
export type { NtmHyperparameters, NtmState, Topic } from './algorithms/ntm/index.js';
export {
  deepar, DeeparModel, deeparSchema, checkSeries, lagsFor, parseFrequency, timestamps, ForecastMetrics, sampleMean, sampleQuantiles, forecastSvg,
  defaultConfiguration, resolveConfiguration,
} from './algorithms/deepar/index.js';
export type { DeeparHyperparameters, DeeparState, Forecast, ForecastConfiguration } from './algorithms/deepar/index.js';
export { readSeriesBatches } from './io/read-series-batches.js';
