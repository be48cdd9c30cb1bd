import { loadState, kmeans, createBackend } from '/work/main/lib/index.js';
const b = await createBackend('cpu');
for (let i = 1; i <= 8; i++) {
  const s: any = await loadState(`/tmp/d2/c2/checkpoint-00000${i}.safetensors`, kmeans as any, b);
  const m = s.tensors.batch_order.data; const c = s.tensors.counters.data;
  console.log(i, 'shift', m[6].toFixed(3), 'effRows', m[7], 'reseeds', c[2], 'model active', s.tensors.model_counters.data[0]);
}
