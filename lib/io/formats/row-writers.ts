// The formats `boundless convert` writes, and which of them keep a row's
// weight. The encoders are native (native/io/row_writer.cc; lib/io/write-rows.ts
// drives them): CSV (label first, as SageMaker reads it), libsvm (1-based
// indices), JSON Lines (with the row's weight) and framed recordIO-protobuf.

export type OutputFormat = 'csv' | 'libsvm' | 'jsonl' | 'recordio';
export const outputFormats: readonly OutputFormat[] = ['csv', 'libsvm', 'jsonl', 'recordio'];

/** Formats with a place for a row's weight (JSON Lines' "weight", written when it is not 1). CSV, libsvm and SageMaker's recordIO have none. */
export const formatsWithWeights: readonly OutputFormat[] = ['jsonl'];
