import { type JsonSchema, defNameOf, isArray, isJsonSchema, isString } from './json-schema.js';
import { UnsupportedSchemaError } from './unsupported-schema-error.js';

/**
 * OpenAI's published limits on a Structured Outputs schema ("Supported schemas", platform.openai.com/docs/guides/
 * structured-outputs#supported-schemas, current figures; the 2024 launch page said 100 properties and 5 levels):
 * at most 5000 object properties in all and 10 levels of nesting; at most 120,000 characters in all property
 * names, definition names, enum values and const values; at most 1000 enum values across the schema; and a single
 * enum of more than 250 values may hold at most 15,000 characters.
 */
export const OPENAI_SCHEMA_LIMITS = {
  properties: 5000,
  nesting: 10,
  totalStringLength: 120_000,
  enumValues: 1000,
  largeEnumValues: 250,
  largeEnumStringLength: 15_000,
} as const;

/**
 * Checks a converted schema, as it will be sent, against OPENAI_SCHEMA_LIMITS, so a task that breaks one fails at
 * definition rather than with a 400 on its first call. It runs after the reshaping, which adds levels and names: a
 * wrapped root is `{ value }`, a record is an array of `{ key, value }` objects.
 *
 * @throws UnsupportedSchemaError naming the limit and, for nesting and a large enum, the path.
 */
export function assertWithinOpenAiLimits(schema: JsonSchema): void {
  const totals = { properties: 0, stringLength: 0, enumValues: 0 };
  const defs = isJsonSchema(schema.$defs) ? schema.$defs : {};
  const count = (node: JsonSchema, path: string): void => {
    if (isJsonSchema(node.properties)) {
      for (const name of Object.keys(node.properties)) {
        totals.properties += 1;
        totals.stringLength += name.length;
      }
    }
    if ('const' in node && isString(node.const)) totals.stringLength += node.const.length;
    if (isArray(node.enum)) {
      const enumLength = stringLength(node.enum);
      totals.enumValues += node.enum.length;
      totals.stringLength += enumLength;
      assertLargeEnum(node.enum.length, enumLength, path);
    }
    for (const [child, childPath] of childrenOf(node, path)) count(child, childPath);
  };
  count(schema, '$');
  for (const [name, definition] of Object.entries(defs)) {
    totals.stringLength += name.length;
    if (isJsonSchema(definition)) count(definition, `$defs.${name}`);
  }
  assertTotals(totals);
  assertNesting(schema, defs);
}

function assertLargeEnum(values: number, length: number, path: string): void {
  const { largeEnumValues, largeEnumStringLength } = OPENAI_SCHEMA_LIMITS;
  if (values <= largeEnumValues || length <= largeEnumStringLength) return;
  throw new UnsupportedSchemaError(
    path,
    `OpenAI structured outputs allow an enum of more than ${largeEnumValues} values at most ` +
      `${largeEnumStringLength} characters in all, and this one has ${values} values of ${length} characters`,
  );
}

function assertTotals(totals: { properties: number; stringLength: number; enumValues: number }): void {
  const { properties, totalStringLength, enumValues } = OPENAI_SCHEMA_LIMITS;
  const reshaped = 'counted after conversion, with the { value } wrapper and { key, value } record entries it adds';
  if (totals.properties > properties) {
    throw new UnsupportedSchemaError(
      '$',
      `OpenAI structured outputs allow at most ${properties} object properties in all, and this schema has ` +
        `${totals.properties} (${reshaped})`,
    );
  }
  if (totals.stringLength > totalStringLength) {
    throw new UnsupportedSchemaError(
      '$',
      `OpenAI structured outputs allow at most ${totalStringLength} characters in all property names, definition ` +
        `names, enum and const values, and this schema has ${totals.stringLength} (${reshaped})`,
    );
  }
  if (totals.enumValues > enumValues) {
    throw new UnsupportedSchemaError(
      '$',
      `OpenAI structured outputs allow at most ${enumValues} enum values in all, and this schema has ` +
        `${totals.enumValues}`,
    );
  }
}

/**
 * OpenAI does not say how it counts levels; here every object and every array is one, through `$ref`s (a recursive
 * reference ends the path), the root object being level 1. The deepest path is named.
 */
function assertNesting(schema: JsonSchema, defs: JsonSchema): void {
  const deepestByDef = new Map<string, Deepest>();
  const deepest = (node: JsonSchema, path: string): Deepest => {
    if (typeof node.$ref === 'string') return deepestThroughRef(node.$ref, path);
    let below: Deepest = { levels: 0, path };
    for (const [child, childPath] of childrenOf(node, path)) {
      const candidate = deepest(child, childPath);
      if (candidate.levels > below.levels) below = candidate;
    }
    return opensLevel(node) ? { levels: below.levels + 1, path: below.path } : below;
  };
  const deepestThroughRef = (ref: string, path: string): Deepest => {
    const name = defNameOf(ref);
    const definition = name === undefined ? undefined : defs[name];
    if (name === undefined || !isJsonSchema(definition)) return { levels: 0, path };
    const known = deepestByDef.get(name);
    if (known !== undefined) return known;
    deepestByDef.set(name, { levels: 0, path }); // while in progress: a cycle adds nothing more
    const found = deepest(definition, `$defs.${name}`);
    deepestByDef.set(name, found);
    return found;
  };
  const found = deepest(schema, '$');
  const { nesting } = OPENAI_SCHEMA_LIMITS;
  if (found.levels <= nesting) return;
  throw new UnsupportedSchemaError(
    found.path,
    `OpenAI structured outputs allow at most ${nesting} levels of nesting, and this path is ${found.levels} deep ` +
      '(every object and array counts, including the { value } wrapper and { key, value } record entries)',
  );
}

interface Deepest {
  levels: number;
  path: string;
}

function opensLevel(node: JsonSchema): boolean {
  const types = isArray(node.type) ? node.type : [node.type];
  if (types.includes('object') || types.includes('array')) return true;
  return node.properties !== undefined || node.items !== undefined;
}

/** The subschemas directly inside a node (not through `$ref`), with their paths in the converter's notation. */
function childrenOf(node: JsonSchema, path: string): [JsonSchema, string][] {
  const children: [JsonSchema, string][] = [];
  if (isJsonSchema(node.properties)) {
    for (const [name, property] of Object.entries(node.properties)) {
      if (isJsonSchema(property)) children.push([property, `${path}.${name}`]);
    }
  }
  if (isJsonSchema(node.items)) children.push([node.items, `${path}[]`]);
  if (isArray(node.anyOf)) {
    for (const [index, branch] of node.anyOf.entries()) {
      if (isJsonSchema(branch)) children.push([branch, `${path}|${index}`]);
    }
  }
  return children;
}

function stringLength(values: unknown[]): number {
  let length = 0;
  for (const value of values) if (isString(value)) length += value.length;
  return length;
}
