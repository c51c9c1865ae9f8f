import {
  type JsonSchema,
  ROOT_POINTER,
  defNameOf,
  isArray,
  isJsonSchema,
  isRecord,
  isString,
  literalValuesOf,
} from './json-schema.js';
import { meetsKeptConstraints } from './kept-constraints.js';

/** The strict schema being built, for resolving `$ref`s while matching union branches at decode time. */
export interface StrictDocument {
  root: JsonSchema;
  defs: Record<string, JsonSchema>;
}

export interface Discriminator<Branch> {
  key: string;
  branchByValue: Map<unknown, Branch>;
}

/** The first property whose const/enum values tell every object branch apart. */
export function findDiscriminator<Branch extends { schema: JsonSchema }>(
  branches: Branch[],
): Discriminator<Branch> | undefined {
  const objectBranches = branches.filter((branch) => isJsonSchema(branch.schema.properties));
  const firstProperties = objectBranches[0]?.schema.properties;
  if (objectBranches.length < 2 || !isJsonSchema(firstProperties)) return undefined;
  for (const key of Object.keys(firstProperties)) {
    const branchByValue = new Map<unknown, Branch>();
    const discriminates = objectBranches.every((branch) => {
      const property = isJsonSchema(branch.schema.properties) ? branch.schema.properties[key] : undefined;
      const values = isJsonSchema(property) ? literalValuesOf(property) : undefined;
      if (values === undefined) return false;
      for (const value of values) {
        if (branchByValue.has(value)) return false;
        branchByValue.set(value, branch);
      }
      return true;
    });
    if (discriminates) return { key, branchByValue };
  }
  return undefined;
}

/** What a match looks at: `shape` is types, const/enum and exact key sets; `constraints` adds pattern and bounds. */
export type MatchDepth = 'shape' | 'constraints';

/**
 * Whether `value` could be an answer to `schema`: its types, const/enum values and exact key sets, everywhere
 * below; with `constraints`, also the pattern and bounds the strict schema keeps (see meetsKeptConstraints).
 */
export function matchesSchema(
  value: unknown,
  schema: JsonSchema,
  document: StrictDocument,
  depth: MatchDepth,
): boolean {
  if (typeof schema.$ref === 'string') {
    const target = resolveStrictRef(schema.$ref, document);
    return target === undefined || matchesSchema(value, target, document, depth);
  }
  if (isArray(schema.anyOf)) {
    return schema.anyOf.some((branch) => isJsonSchema(branch) && matchesSchema(value, branch, document, depth));
  }
  if ('const' in schema && schema.const !== value) return false;
  if (isArray(schema.enum) && !schema.enum.includes(value)) return false;
  if (depth === 'constraints' && !meetsKeptConstraints(value, schema)) return false;
  const { type } = schema;
  if (typeof type === 'string') return matchesType(value, type, schema, document, depth);
  if (isArray(type)) {
    return type.some((member) => isString(member) && matchesType(value, member, schema, document, depth));
  }
  return true;
}

function matchesType(
  value: unknown,
  type: string,
  schema: JsonSchema,
  document: StrictDocument,
  depth: MatchDepth,
): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'string':
    case 'boolean':
    case 'number':
      return typeof value === type;
    case 'integer':
      return Number.isInteger(value);
    case 'array': {
      const { items } = schema;
      return (
        isArray(value) && (!isJsonSchema(items) || value.every((item) => matchesSchema(item, items, document, depth)))
      );
    }
    case 'object':
      return isRecord(value) && matchesProperties(value, schema, document, depth);
    default:
      return false;
  }
}

function matchesProperties(
  value: Record<string, unknown>,
  schema: JsonSchema,
  document: StrictDocument,
  depth: MatchDepth,
): boolean {
  const properties = isJsonSchema(schema.properties) ? schema.properties : {};
  for (const key in value) if (!Object.hasOwn(properties, key)) return false;
  for (const key in properties) {
    const property = properties[key];
    if (!Object.hasOwn(value, key)) return false;
    if (isJsonSchema(property) && !matchesSchema(value[key], property, document, depth)) return false;
  }
  return true;
}

function resolveStrictRef(ref: string, document: StrictDocument): JsonSchema | undefined {
  if (ref === ROOT_POINTER) return document.root;
  const name = defNameOf(ref);
  return name === undefined ? undefined : document.defs[name];
}
