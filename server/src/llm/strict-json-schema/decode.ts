import { type JsonSchema, isArray, isRecord, setOwnProperty } from './json-schema.js';
import { type Discriminator, type StrictDocument, matchesSchema } from './union-match.js';

/** The key a root that is not a plain object is wrapped under: strict mode wants an object root. */
export const WRAPPER_KEY = 'value';

interface DecoderBase {
  /** false when decoding returns the value untouched; set by markDecodersThatChangeValues */
  changesValue: boolean;
}
export interface PassThroughDecoder extends DecoderBase {
  kind: 'pass';
}
export interface FieldDecoder {
  key: string;
  decoder: Decoder;
  /** the property was optional and did not accept null: null from the model means "absent" */
  nullMeansAbsent: boolean;
}
export interface ObjectDecoder extends DecoderBase {
  kind: 'object';
  fields: Map<string, FieldDecoder>;
}
export interface ArrayDecoder extends DecoderBase {
  kind: 'array';
  items: Decoder;
}
export interface EntriesDecoder extends DecoderBase {
  kind: 'entries';
  value: Decoder;
}
export interface TupleDecoder extends DecoderBase {
  kind: 'tuple';
  elements: FieldDecoder[];
}
export interface UnionBranch {
  schema: JsonSchema;
  decoder: Decoder;
}
export interface UnionDecoder extends DecoderBase {
  kind: 'union';
  branches: UnionBranch[];
  discriminator: Discriminator<UnionBranch> | undefined;
  document: StrictDocument;
}
export interface RefDecoder extends DecoderBase {
  kind: 'ref';
  target: Decoder | undefined;
}
export type Decoder =
  | PassThroughDecoder
  | ObjectDecoder
  | ArrayDecoder
  | EntriesDecoder
  | TupleDecoder
  | UnionDecoder
  | RefDecoder;

/** Least fixpoint over the decoder graph (refs make it cyclic): only decoders that reshape something do work. */
export function markDecodersThatChangeValues(decoders: Decoder[]): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (const decoder of decoders) {
      if (!decoder.changesValue && reshapesValue(decoder)) {
        decoder.changesValue = true;
        changed = true;
      }
    }
  }
}

function reshapesValue(decoder: Decoder): boolean {
  switch (decoder.kind) {
    case 'pass':
      return false;
    case 'entries':
    case 'tuple':
      return true;
    case 'object':
      for (const field of decoder.fields.values()) if (field.nullMeansAbsent || field.decoder.changesValue) return true;
      return false;
    case 'array':
      return decoder.items.changesValue;
    case 'union':
      return decoder.branches.some((branch) => branch.decoder.changesValue);
    case 'ref':
      return decoder.target?.changesValue ?? false;
  }
}

export function unwrapValue(value: unknown): unknown {
  return isRecord(value) && Object.hasOwn(value, WRAPPER_KEY) ? value[WRAPPER_KEY] : value;
}

/** Values that do not have the expected shape are returned as they are, for zod to report. */
export function decodeValue(value: unknown, decoder: Decoder): unknown {
  if (!decoder.changesValue) return value;
  switch (decoder.kind) {
    case 'pass':
      return value;
    case 'object':
      return decodeObject(value, decoder);
    case 'array':
      return isArray(value) ? value.map((item) => decodeValue(item, decoder.items)) : value;
    case 'entries':
      return decodeEntries(value, decoder);
    case 'tuple':
      return decodeTuple(value, decoder);
    case 'union':
      return decodeUnion(value, decoder);
    case 'ref':
      return decoder.target === undefined ? value : decodeValue(value, decoder.target);
  }
}

function decodeObject(value: unknown, decoder: ObjectDecoder): unknown {
  if (!isRecord(value)) return value;
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = value[key];
    const field = decoder.fields.get(key);
    if (field === undefined) setOwnProperty(result, key, item);
    else if (item !== null || !field.nullMeansAbsent) setOwnProperty(result, key, decodeValue(item, field.decoder));
  }
  return result;
}

function decodeEntries(value: unknown, decoder: EntriesDecoder): unknown {
  if (!isArray(value)) return value;
  const result: Record<string, unknown> = {};
  for (const entry of value) {
    if (!isRecord(entry) || typeof entry.key !== 'string') return value;
    setOwnProperty(result, entry.key, decodeValue(entry.value, decoder.value));
  }
  return result;
}

function decodeTuple(value: unknown, decoder: TupleDecoder): unknown {
  if (!isRecord(value)) return value;
  const result: unknown[] = [];
  let length = 0;
  for (const element of decoder.elements) {
    const item = value[element.key];
    const absent = item === undefined || (item === null && element.nullMeansAbsent);
    result.push(absent ? undefined : decodeValue(item, element.decoder));
    if (!absent) length = result.length;
  }
  result.length = length;
  return result;
}

function decodeUnion(value: unknown, decoder: UnionDecoder): unknown {
  const { discriminator } = decoder;
  const byDiscriminator =
    discriminator !== undefined && isRecord(value)
      ? discriminator.branchByValue.get(value[discriminator.key])
      : undefined;
  const branch = byDiscriminator ?? matchingBranch(value, decoder);
  return branch === undefined ? value : decodeValue(value, branch.decoder);
}

/**
 * The first branch the value fits, pattern and bounds included: branches can share every key and differ only in
 * a constraint (`kind: z.string().regex(/^a/)` beside `kind: z.string()`), and the branch decides what null means.
 * When no branch meets its constraints (a pattern zod wrote with flags JSON schema cannot carry), the first whose
 * shape fits, for zod to judge.
 */
function matchingBranch(value: unknown, decoder: UnionDecoder): UnionBranch | undefined {
  const { branches, document } = decoder;
  return (
    branches.find((candidate) => matchesSchema(value, candidate.schema, document, 'constraints')) ??
    branches.find((candidate) => matchesSchema(value, candidate.schema, document, 'shape'))
  );
}
