// The hyperparameter schema engine. Every algorithm declares its parameters
// under SageMaker's snake_case names with a type, a default, a range and
// whether `auto` is allowed. Values may arrive typed (the TypeScript API,
// where camelCase names are accepted too) or as strings (the CLI, JSON,
// SageMaker's hyperparameters.json); they are parsed and checked here and
// nowhere else. Every error names the parameter, the value and what is allowed.

interface CommonSpec {
  description: string;
  /** No default: the user must give a value. */
  required?: boolean;
}

export interface NumberSpec extends CommonSpec {
  type: 'int' | 'float';
  default?: number | 'auto';
  min?: number;
  max?: number;
  /** min (or max) itself is not allowed. */
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  allowAuto?: boolean;
  /** Words accepted besides numbers (e.g. 'balanced'). */
  keywords?: readonly string[];
}

export interface BoolSpec extends CommonSpec {
  type: 'bool';
  default?: boolean | 'auto';
  allowAuto?: boolean;
}

export interface EnumSpec extends CommonSpec {
  type: 'enum';
  values: readonly string[];
  default?: string;
  allowAuto?: boolean;
}

export interface StringSpec extends CommonSpec {
  type: 'string';
  default?: string;
  /** The form a value must have (tested on the trimmed text), and how errors describe it. */
  pattern?: RegExp;
  patternDescription?: string;
}

export type HyperparameterSpec = NumberSpec | BoolSpec | EnumSpec | StringSpec;
export type HyperparameterSchema = Record<string, HyperparameterSpec>;

type AutoOf<S> = S extends { allowAuto: true } ? 'auto' : never;
type KeywordOf<S> = S extends { keywords: readonly (infer K)[] } ? K : never;
type ValueOf<S> =
  S extends { type: 'int' | 'float' } ? number | AutoOf<S> | KeywordOf<S>
    : S extends { type: 'bool' } ? boolean | AutoOf<S>
      : S extends { type: 'enum'; values: readonly (infer V)[] } ? V | AutoOf<S>
        : string;

/** The resolved values of a schema: every parameter present, typed. */
export type HyperparameterValues<S extends HyperparameterSchema> = { -readonly [K in keyof S]: ValueOf<S[K]> };

/** Accepted input: snake_case or camelCase names, typed values or strings. */
export type HyperparameterInput = Record<string, unknown>;

export class HyperparameterError extends Error {
  override name = 'HyperparameterError';
}

export function camelToSnake(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

export function snakeToCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The largest finite float32. */
const float32Max = 3.4028234663852886e38;

function formatBound(value: number): string {
  return Number.isFinite(value) ? String(value) : value > 0 ? '∞' : '-∞';
}

/** What a parameter accepts, in words: "an integer in [1, ∞)", "one of sgd, adam or 'auto'". */
export function describeAllowed(spec: HyperparameterSpec): string {
  let text: string;
  switch (spec.type) {
    case 'int':
    case 'float': {
      const kind = spec.type === 'int' ? 'an integer' : 'a number';
      if (spec.min === undefined && spec.max === undefined) {
        text = kind;
      } else {
        const low = spec.min ?? -Infinity;
        const high = spec.max ?? Infinity;
        const open = spec.exclusiveMin || !Number.isFinite(low) ? '(' : '[';
        const close = spec.exclusiveMax || !Number.isFinite(high) ? ')' : ']';
        text = `${kind} in ${open}${formatBound(low)}, ${formatBound(high)}${close}`;
      }
      break;
    }
    case 'bool':
      text = 'true or false';
      break;
    case 'enum':
      text = `one of ${spec.values.join(', ')}`;
      break;
    case 'string':
      text = spec.patternDescription ?? 'a string';
      break;
  }
  const words = [...('keywords' in spec && spec.keywords ? spec.keywords : []), ...('allowAuto' in spec && spec.allowAuto ? ['auto'] : [])];
  return words.length > 0 ? `${text} or ${words.map((w) => `'${w}'`).join(' or ')}` : text;
}

function show(value: unknown): string {
  return typeof value === 'string' || Array.isArray(value) ? JSON.stringify(value) : String(value);
}

function parseValue(algorithm: string, name: string, spec: HyperparameterSpec, raw: unknown): unknown {
  const reject = (): never => {
    throw new HyperparameterError(`${algorithm}: hyperparameter '${name}' got ${show(raw)}, expected ${describeAllowed(spec)}`);
  };
  const text = typeof raw === 'string' ? raw.trim() : undefined;
  if ('allowAuto' in spec && spec.allowAuto && (raw === 'auto' || text === 'auto')) return 'auto';
  switch (spec.type) {
    case 'int':
    case 'float': {
      if (spec.keywords && text !== undefined && spec.keywords.includes(text)) return text;
      let value: number;
      if (typeof raw === 'number') value = raw;
      else if (text !== undefined && text !== '' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) value = Number(text);
      else return reject();
      if (!Number.isFinite(value)) return reject();
      if (spec.type === 'int' && !Number.isSafeInteger(value)) return reject();
      // Kernels hold hyperparameters in float32: a larger number would become ∞ there (wd 4e38 gave a bias of NaN, silently 0).
      if (spec.type === 'float' && Math.abs(value) > float32Max) {
        throw new HyperparameterError(`${algorithm}: hyperparameter '${name}' got ${show(raw)}, beyond float32's range: the kernels ` +
          'compute in float32, where it would be ∞; expected a magnitude of at most 3.4e38');
      }
      if (spec.min !== undefined && (value < spec.min || (spec.exclusiveMin && value === spec.min))) return reject();
      if (spec.max !== undefined && (value > spec.max || (spec.exclusiveMax && value === spec.max))) return reject();
      return value;
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      // Python's json.dumps and SageMaker's console write True/False.
      if (text === 'true' || text === 'True') return true;
      if (text === 'false' || text === 'False') return false;
      return reject();
    case 'enum':
      if (typeof raw === 'string' && spec.values.includes(text!)) return text;
      return reject();
    case 'string': {
      // A patterned string may arrive as what it spells (the API, a JSON hyperparameters file):
      // a number (num_dynamic_feat: 0) or a list of numbers (cardinality: [4, 12]), kept as text.
      // A list of names (k-means' eval_metrics: ["msd", "ssd"]) is kept as its JSON text.
      const names = Array.isArray(raw) && raw.length > 0 && raw.every((v) => typeof v === 'string');
      const spelled = typeof raw === 'number' && Number.isFinite(raw) ? String(raw)
        : Array.isArray(raw) && raw.every((v) => typeof v === 'number' && Number.isFinite(v)) ? `[${raw.join(', ')}]`
          : names ? JSON.stringify(raw) : raw;
      if (spelled !== raw && (spec.pattern ? spec.pattern.test(spelled as string) : names)) return spelled;
      if (typeof raw === 'string' && (!spec.pattern || spec.pattern.test(text!))) return raw;
      return reject();
    }
  }
}

/** Settings of how data is read that users pass as hyperparameters: where they go instead. */
const readerOptions: Record<string, string> = {
  max_record_bytes: 'is a reading option, not a hyperparameter: pass --max-record-bytes N on the command line ' +
    '(data: { maxRecordBytes } in the API)',
};

/**
 * Resolves user input against a schema: maps camelCase names to snake_case, rejects unknown
 * names (suggesting the nearest), parses strings, checks ranges, fills defaults, and requires
 * the parameters that have none.
 */
export function parseHyperparameters<S extends HyperparameterSchema>(
  algorithm: string, schema: S, input: HyperparameterInput = {},
): HyperparameterValues<S> {
  const given = new Map<string, { raw: unknown; as: string }>();
  for (const [key, raw] of Object.entries(input)) {
    if (raw === undefined) continue;
    const name = Object.hasOwn(schema, key) ? key : camelToSnake(key);
    if (!Object.hasOwn(schema, name)) {
      if (Object.hasOwn(readerOptions, name)) throw new HyperparameterError(`${algorithm}: '${key}' ${readerOptions[name]}`);
      const known = Object.keys(schema);
      const nearest = known
        .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
        .sort((a, b) => a.distance - b.distance)[0];
      const hint = nearest && nearest.distance <= Math.max(2, Math.floor(name.length / 3))
        ? ` Did you mean '${nearest.candidate}'?` : '';
      throw new HyperparameterError(`${algorithm}: unknown hyperparameter '${key}'.${hint} ` +
        `Known: ${known.join(', ')}`);
    }
    const previous = given.get(name);
    if (previous) {
      throw new HyperparameterError(`${algorithm}: hyperparameter '${name}' is given twice (as '${previous.as}' and '${key}')`);
    }
    given.set(name, { raw, as: key });
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    const entry = given.get(name);
    if (entry) {
      values[name] = parseValue(algorithm, name, spec, entry.raw);
    } else if (spec.default !== undefined) {
      values[name] = spec.default;
    } else if (spec.required) {
      throw new HyperparameterError(`${algorithm}: hyperparameter '${name}' is required (${spec.description}); ` +
        `expected ${describeAllowed(spec)}`);
    } else {
      throw new Error(`${algorithm}: schema error: '${name}' has neither a default nor required: true`);
    }
  }
  return values as HyperparameterValues<S>;
}
