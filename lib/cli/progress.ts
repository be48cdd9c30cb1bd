// Progress on stderr: a one-line bar redrawn in place on a terminal,
// periodic plain lines otherwise (logs, CI). Optionally SageMaker's metric
// lines, so tuning regexes written for SageMaker's algorithms work as-is.
import type { ProgressEvent } from '../train/progress.js';

/** Counts and indices as integers, measurements to five significant digits. */
function formatMetric(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : value.toPrecision(5);
}

/** Entries of the metrics that are model indices, not measurements: no #quality_metric line. */
const modelIndexKeys = new Set(['best_model', 'selected_model']);

/**
 * SageMaker writes `<score>` for metrics where higher is better (accuracy, F1, AUC, a multiclass ranking's DCG, a topic model's
 * coherence and uniqueness) and `<loss>` for the others; tuning regexes copied from its
 * documentation match one or the other.
 */
export function sageMakerMetricKind(name: string): '<score>' | '<loss>' {
  return /(accuracy|f_beta|f1|precision|recall|roc_auc|auc|dcg|npmi|wetc|(^|_)tu$)/.test(name) ? '<score>' : '<loss>';
}

export function sageMakerMetricLines(event: ProgressEvent, host = 'algo-1'): string[] {
  const lines: string[] = [];
  if (event.phase === 'epoch') {
    for (const [name, value] of Object.entries(event.metrics)) {
      if (!modelIndexKeys.has(name)) lines.push(`#quality_metric: host=${host}, epoch=${event.epoch - 1}, train ${name} ${sageMakerMetricKind(name)}=${value}`);
    }
    for (const [name, value] of Object.entries(event.validation ?? {})) {
      if (!modelIndexKeys.has(name)) lines.push(`#quality_metric: host=${host}, epoch=${event.epoch - 1}, validation ${name} ${sageMakerMetricKind(name)}=${value}`);
    }
    lines.push(`#progress_metric: host=${host}, completed ${event.epoch} epochs`);
    lines.push(`#throughput_metric: host=${host}, train throughput=${event.recordsPerSecond.toFixed(1)} records/second`);
  }
  return lines;
}

/**
 * SageMaker's lines for the metrics of a finished run: `test` metrics (test:RMSE, …) and the
 * training loss of the model kept (DeepAR's train:final_loss).
 */
export function sageMakerFinalLines(metrics: { test?: Record<string, number>; train?: Record<string, number> }, host = 'algo-1'): string[] {
  const lines: string[] = [];
  if (metrics.train?.loss !== undefined) lines.push(`#quality_metric: host=${host}, train final_loss <loss>=${metrics.train.loss}`);
  for (const [name, value] of Object.entries(metrics.test ?? {})) {
    lines.push(`#test_score (${host}, ${name}): ${value}`, `#quality_metric: host=${host}, test ${name} ${sageMakerMetricKind(name)}=${value}`);
  }
  return lines;
}

export function createProgressReporter(stream: NodeJS.WriteStream, options: { sageMakerLines?: boolean; intervalMs?: number } = {}) {
  const tty = stream.isTTY === true;
  const interval = options.intervalMs ?? (tty ? 100 : 5000);
  let last = 0;
  // Thousands separators by hand: toLocaleString's first call loads ICU's locale data (~30 ms of every run).
  const grouped = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const describe = (e: ProgressEvent) => {
    const metrics = Object.entries(e.metrics).map(([k, v]) => `${k}=${formatMetric(v)}`).join(' ');
    const bad = Object.values(e.badRecords).reduce((a, b) => a + b, 0);
    return `epoch ${e.epoch + (e.phase === 'batch' ? 1 : 0)} · ${grouped(e.records)} records · ` +
      `${grouped(e.recordsPerSecond)}/s${metrics ? ` · ${metrics}` : ''}${bad > 0 ? ` · ${bad} bad record${bad === 1 ? '' : 's'} skipped` : ''}` +
      (e.etaSeconds !== undefined && e.phase === 'batch' ? ` · ETA ${Math.ceil(e.etaSeconds)} s` : '');
  };
  return (event: ProgressEvent) => {
    const now = performance.now();
    if (event.phase === 'warning' || event.phase === 'resume') {
      stream.write(`${tty ? '\r\x1b[K' : ''}${event.phase === 'warning' ? 'warning: ' : ''}${event.message}\n`);
      return;
    }
    if (event.phase === 'batch' && now - last < interval) return;
    last = now;
    if (event.phase === 'epoch') {
      const validation = event.validation ? ` · validation ${Object.entries(event.validation).map(([k, v]) => `${k}=${formatMetric(v)}`).join(' ')}` : '';
      stream.write(`${tty ? '\r\x1b[K' : ''}${describe(event)}${validation}\n`);
      if (options.sageMakerLines) for (const line of sageMakerMetricLines(event)) stream.write(line + '\n');
    } else if (event.phase === 'checkpoint') {
      if (!tty) stream.write(`checkpoint ${event.checkpoint}\n`);
    } else {
      stream.write(tty ? `\r\x1b[K${describe(event)}` : `${describe(event)}\n`);
    }
  };
}
