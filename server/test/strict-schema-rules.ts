import type { JsonSchema } from '../src/llm/strict-json-schema/index.js';

// What each provider accepts in a structured-output schema, written out by hand from the provider's rules so that
// tests (and the fake provider, which answers 400 on a violation) check what the converters send against something
// other than the converters themselves.

// Dialect metadata a root may carry: it constrains nothing. The OpenAI SDK's own zodResponseFormat sends `$schema`
// (openai src/lib/transform.ts, JSON_SCHEMA_ROOT_METADATA_KEYWORDS); the Anthropic SDK drops it before sending.
const ROOT_METADATA_KEYWORDS = new Set(['$schema', '$id']);

// OpenAI strict mode: https://platform.openai.com/docs/guides/structured-outputs#supported-schemas
const OPENAI_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  '$ref',
  '$defs',
  'enum',
  'const',
  'description',
  'title',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
]);
const OPENAI_FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);
// OpenAI's size limits, same page ("Supported schemas", current figures; the 2024 page said 100 properties and 5
// levels): 5000 object properties in all; 10 levels of nesting (how levels are counted is not published: here every
// object and array is one, the root object level 1); 120,000 characters of property names, definition names, enum
// and const values; 1000 enum values in all; an enum of more than 250 values at most 15,000 characters.
const OPENAI_MAX_PROPERTIES = 5000;
const OPENAI_MAX_NESTING = 10;
const OPENAI_MAX_CHARACTERS = 120_000;
const OPENAI_MAX_ENUM_VALUES = 1000;
const OPENAI_LARGE_ENUM = 250;
const OPENAI_MAX_LARGE_ENUM_CHARACTERS = 15_000;

// Anthropic structured outputs, as the Anthropic SDK 1.14 keeps them in src/lib/transform-json-schema.ts (the rules
// its zodOutputFormat applies): everything else is refused, e.g. "For 'integer' type, property 'minimum' is not
// supported". Numeric bounds, minLength/maxLength, pattern, maxItems and minItems above 1 are not here.
const ANTHROPIC_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'anyOf',
  'allOf',
  '$ref',
  '$defs',
  'enum',
  'const',
  'description',
  'title',
  'format',
]);
const ANTHROPIC_FORMATS = new Set([
  'date-time',
  'time',
  'date',
  'duration',
  'email',
  'hostname',
  'uri',
  'ipv4',
  'ipv6',
  'uuid',
]);
const ANTHROPIC_MIN_ITEMS = new Set([0, 1]);

/** Every reason OpenAI strict mode (`json_schema` with `strict: true`) would refuse `schema`; empty when it is valid. */
export function openaiStrictViolations(schema: unknown): string[] {
  const totals = { properties: 0, characters: 0, enumValues: 0 };
  const found = violations(schema, (node, path, violations) => {
    countTowardOpenaiLimits(node, path, totals, violations);
    for (const key of keywordsOf(node, path)) {
      if (!OPENAI_KEYWORDS.has(key)) violations.push(`${path}: keyword ${key} is not allowed`);
      if (key === '$defs' && path !== '$') violations.push(`${path}: $defs only belongs at the root`);
    }
    if (typeof node.format === 'string' && !OPENAI_FORMATS.has(node.format)) {
      violations.push(`${path}: format ${node.format} is not allowed`);
    }
    if (!describesObject(node)) return;
    if (node.additionalProperties !== false) violations.push(`${path}: additionalProperties is not false`);
    const properties = isSchema(node.properties) ? node.properties : undefined;
    if (properties === undefined) {
      violations.push(`${path}: an object without properties`);
      return;
    }
    const keys = Object.keys(properties);
    const required = Array.isArray(node.required) ? node.required : [];
    if (required.length !== keys.length || !keys.every((key) => required.includes(key))) {
      violations.push(`${path}: required ${JSON.stringify(required)} is not every property ${JSON.stringify(keys)}`);
    }
  });
  const sent: unknown = JSON.parse(JSON.stringify(schema));
  if (!isSchema(sent)) return found;
  const defs = isSchema(sent.$defs) ? sent.$defs : {};
  for (const name of Object.keys(defs)) totals.characters += name.length;
  if (totals.properties > OPENAI_MAX_PROPERTIES) {
    found.push(`$: ${totals.properties} object properties in all, more than ${OPENAI_MAX_PROPERTIES}`);
  }
  if (totals.characters > OPENAI_MAX_CHARACTERS) {
    found.push(`$: ${totals.characters} characters of names and enum/const values, more than ${OPENAI_MAX_CHARACTERS}`);
  }
  if (totals.enumValues > OPENAI_MAX_ENUM_VALUES) {
    found.push(`$: ${totals.enumValues} enum values in all, more than ${OPENAI_MAX_ENUM_VALUES}`);
  }
  const levels = nestingLevels(sent, defs, []);
  if (levels > OPENAI_MAX_NESTING) found.push(`$: ${levels} levels of nesting, more than ${OPENAI_MAX_NESTING}`);
  return found;
}

function countTowardOpenaiLimits(
  node: JsonSchema,
  path: string,
  totals: { properties: number; characters: number; enumValues: number },
  violations: string[],
): void {
  if (isSchema(node.properties)) {
    const names = Object.keys(node.properties);
    totals.properties += names.length;
    totals.characters += names.join('').length;
  }
  if (typeof node.const === 'string') totals.characters += node.const.length;
  if (!Array.isArray(node.enum)) return;
  const characters = node.enum.filter((value) => typeof value === 'string').join('').length;
  totals.enumValues += node.enum.length;
  totals.characters += characters;
  if (node.enum.length > OPENAI_LARGE_ENUM && characters > OPENAI_MAX_LARGE_ENUM_CHARACTERS) {
    violations.push(
      `${path}: an enum of ${node.enum.length} values with ${characters} characters, ` +
        `more than ${OPENAI_MAX_LARGE_ENUM_CHARACTERS} for an enum of more than ${OPENAI_LARGE_ENUM} values`,
    );
  }
}

/** The most objects and arrays met on one path down from `node`, through `$ref`s until one repeats. */
function nestingLevels(node: JsonSchema, defs: JsonSchema, refsOnPath: string[]): number {
  if (typeof node.$ref === 'string') {
    const target = defs[node.$ref.replace(/^#\/\$defs\//, '')];
    if (refsOnPath.includes(node.$ref) || !isSchema(target)) return 0;
    return nestingLevels(target, defs, [...refsOnPath, node.$ref]);
  }
  const children = [
    ...(isSchema(node.properties) ? Object.values(node.properties) : []),
    node.items,
    ...(Array.isArray(node.anyOf) ? node.anyOf : []),
  ];
  const below = Math.max(0, ...children.map((child) => (isSchema(child) ? nestingLevels(child, defs, refsOnPath) : 0)));
  const types = Array.isArray(node.type) ? node.type : [node.type];
  const opensLevel = types.includes('object') || types.includes('array') || node.items !== undefined;
  return below + (opensLevel || describesObject(node) ? 1 : 0);
}

/** Every reason Anthropic structured outputs (or a forced tool's input schema) would refuse `schema`; empty when valid. */
export function anthropicViolations(schema: unknown): string[] {
  return violations(schema, (node, path, violations) => {
    const type = Array.isArray(node.type) ? node.type.join('|') : typeof node.type === 'string' ? node.type : 'untyped';
    for (const key of keywordsOf(node, path)) {
      if (!ANTHROPIC_KEYWORDS.has(key))
        violations.push(`${path}: for '${type}' type, property '${key}' is not supported`);
    }
    if (typeof node.format === 'string' && !ANTHROPIC_FORMATS.has(node.format)) {
      violations.push(`${path}: format '${node.format}' is not supported`);
    }
    if (node.minItems !== undefined && !ANTHROPIC_MIN_ITEMS.has(Number(node.minItems))) {
      violations.push(`${path}: minItems ${JSON.stringify(node.minItems)} is not supported (only 0 or 1)`);
    }
    for (const literal of [...(Array.isArray(node.enum) ? node.enum : []), ...('const' in node ? [node.const] : [])]) {
      if (typeof literal === 'object' && literal !== null)
        violations.push(`${path}: enum and const take only primitives`);
    }
    if (describesObject(node) && node.additionalProperties !== false) {
      violations.push(`${path}: additionalProperties is not false`);
    }
  });
}

type NodeCheck = (node: JsonSchema, path: string, violations: string[]) => void;

/** Walks every subschema, checking the parts both providers agree on and `check` on each node. */
function violations(schema: unknown, check: NodeCheck): string[] {
  // Through JSON first: what the provider receives, and proof the schema has no cycles.
  const sent: unknown = JSON.parse(JSON.stringify(schema));
  if (!isSchema(sent)) return ['the schema is not an object'];
  const found: string[] = [];
  if (sent.type !== 'object') found.push('$: the root is not of type object');
  const defs = isSchema(sent.$defs) ? sent.$defs : {};
  const visit = (node: JsonSchema, path: string): void => {
    check(node, path, found);
    if (typeof node.$ref === 'string' && node.$ref !== '#') {
      const name = node.$ref.replace(/^#\/\$defs\//, '');
      if (name === node.$ref || !Object.hasOwn(defs, name)) found.push(`${path}: $ref ${node.$ref} points nowhere`);
    }
    if (describesObject(node) && isSchema(node.properties)) {
      for (const [key, property] of Object.entries(node.properties)) visitChild(property, `${path}.${key}`);
    }
    if (node.items !== undefined) visitChild(node.items, `${path}[]`);
    for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
      const branches = node[keyword];
      if (branches === undefined) continue;
      if (!Array.isArray(branches)) found.push(`${path}: ${keyword} is not an array`);
      else for (const branch of branches) visitChild(branch, `${path}|`);
    }
  };
  const visitChild = (child: unknown, path: string): void => {
    if (isSchema(child)) visit(child, path);
    else found.push(`${path}: not a schema`);
  };
  visit(sent, '$');
  for (const [name, definition] of Object.entries(defs)) visitChild(definition, `$defs.${name}`);
  return found;
}

function keywordsOf(node: JsonSchema, path: string): string[] {
  const keys = Object.keys(node);
  return path === '$' ? keys.filter((key) => !ROOT_METADATA_KEYWORDS.has(key)) : keys;
}

function describesObject(node: JsonSchema): boolean {
  const types = Array.isArray(node.type) ? node.type : [node.type];
  return types.includes('object') || node.properties !== undefined;
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
