import { transformJSONSchema } from '@anthropic-ai/sdk/lib/transform-json-schema';
import { type JsonSchema, isArray, isJsonSchema, isString, setOwnProperty } from './json-schema.js';

const ANNOTATION_KEYWORDS = new Set(['description', 'title']);
const SCHEMA_KEYWORDS = new Set(['items']);
const SCHEMA_MAP_KEYWORDS = new Set(['properties', '$defs']);
const SCHEMA_LIST_KEYWORDS = new Set(['anyOf', 'oneOf', 'allOf']);

/**
 * A strict schema (from `toStrictJsonSchema`) reshaped for Anthropic structured outputs: `output_config.format.schema`
 * or a forced tool's `input_schema`. Anthropic refuses keywords OpenAI strict mode accepts (numeric bounds,
 * `minItems` above 1, `maxItems`, `pattern`, some formats…) with a 400. The rules are the Anthropic SDK's own
 * `transformJSONSchema` (what its `zodOutputFormat` sends): every keyword it cannot keep is moved into that node's
 * `description`, as `{minimum: 0, maximum: 1}`, so the model still reads it; the task's zod schema enforces it on
 * the answer. An answer to the result has the strict schema's shape, so `StrictJsonSchema.decode` reads it.
 *
 * Returns a new schema; `strictSchema` is left as it is.
 */
export function toAnthropicJsonSchema(strictSchema: JsonSchema): JsonSchema {
  return transformJSONSchema(splitTypeLists(strictSchema));
}

/**
 * The SDK applies its per-type rules only to a single `type`: for `type: ['array', 'null']` it would move `items`
 * (for an object: `properties`, `required`) into the description. Strict schemas spell an optional property that
 * way, so each such node becomes `anyOf` one branch per type, with the annotations on the `anyOf`. Nodes with
 * `enum`/`const` keep their list: the SDK sends those without `type`.
 */
function splitTypeLists(node: JsonSchema): JsonSchema {
  const walked: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) setOwnProperty(walked, key, walkChild(key, value));
  const { type } = walked;
  if (!isArray(type) || 'enum' in walked || 'const' in walked) return walked;
  const annotations: JsonSchema = {};
  const rest: JsonSchema = {};
  for (const [key, value] of Object.entries(walked)) {
    if (key !== 'type') setOwnProperty(ANNOTATION_KEYWORDS.has(key) ? annotations : rest, key, value);
  }
  const branches = type
    .filter(isString)
    .map((member) => (member === 'null' ? { type: 'null' } : { ...rest, type: member }));
  return { anyOf: branches, ...annotations };
}

function walkChild(key: string, value: unknown): unknown {
  if (SCHEMA_KEYWORDS.has(key) && isJsonSchema(value)) return splitTypeLists(value);
  if (SCHEMA_LIST_KEYWORDS.has(key) && isArray(value)) {
    return value.map((entry) => (isJsonSchema(entry) ? splitTypeLists(entry) : entry));
  }
  if (SCHEMA_MAP_KEYWORDS.has(key) && isJsonSchema(value)) {
    const result: JsonSchema = {};
    for (const [name, entry] of Object.entries(value)) {
      setOwnProperty(result, name, isJsonSchema(entry) ? splitTypeLists(entry) : entry);
    }
    return result;
  }
  return value;
}
