// The shortest decimal that reads back as the same float32 (-0 as "-0"). JavaScript
// prints a float32 value as the double it is (0.1f is
// 0.10000000149011612); text output should say 0.1, and still round-trip.
const scratch = new Float32Array(1);

export function float32ToString(value: number): string {
  // String(-0) is "0", which reads back without the sign bit.
  if (Object.is(value, -0)) return '-0';
  if (!Number.isFinite(value) || Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  for (let digits = 1; digits <= 9; digits++) {
    const text = value.toPrecision(digits);
    scratch[0] = Number(text);
    if (scratch[0] === value) return String(Number(text));
  }
  return String(value);
}
