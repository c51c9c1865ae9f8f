import type { JsonSchema } from '../strict-json-schema/index.js';

const MAX_DEPTH = 6;

/**
 * A value shaped like a strict JSON schema, chosen by a PRNG seeded from the request, with words taken from the
 * request's text: the same request always gives the same value.
 */
export function generateOfflineValue(schema: JsonSchema, seedText: string, sourceText: string): unknown {
  const generator = new ValueGenerator(schema, createRandom(hashText(seedText)), toWords(sourceText));
  return generator.generate(schema, 0, 'value');
}

class ValueGenerator {
  constructor(
    private readonly root: JsonSchema,
    private readonly random: () => number,
    private readonly words: string[],
  ) {}

  generate(schema: JsonSchema, depth: number, fieldName: string): unknown {
    const resolved = this.resolveRef(schema);
    if ('const' in resolved) return resolved.const;
    if (Array.isArray(resolved.enum) && resolved.enum.length > 0) return this.pick(resolved.enum);
    if (Array.isArray(resolved.anyOf)) {
      const branches = resolved.anyOf.filter(isSchema);
      const nonNull = branches.filter((branch) => this.resolveRef(branch).type !== 'null');
      if (nonNull.length === 0 || depth >= MAX_DEPTH) return null;
      return this.generate(this.pick(nonNull), depth, fieldName);
    }
    const type = Array.isArray(resolved.type) ? resolved.type.find((name) => name !== 'null') : resolved.type;
    switch (type) {
      case 'object':
        return this.generateObject(resolved, depth);
      case 'array':
        return this.generateArray(resolved, depth, fieldName);
      case 'string':
        return this.generateString(resolved, fieldName);
      case 'integer':
        return Math.round(this.generateNumber(resolved, true));
      case 'number':
        return this.generateNumber(resolved, false);
      case 'boolean':
        return this.random() < 0.5;
      default:
        return null;
    }
  }

  private generateObject(schema: JsonSchema, depth: number): Record<string, unknown> {
    const properties = isSchema(schema.properties) ? schema.properties : {};
    const value: Record<string, unknown> = {};
    for (const [key, propertySchema] of Object.entries(properties)) {
      if (isSchema(propertySchema)) value[key] = this.generate(propertySchema, depth + 1, key);
    }
    return value;
  }

  private generateArray(schema: JsonSchema, depth: number, fieldName: string): unknown[] {
    const items = isSchema(schema.items) ? schema.items : {};
    const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
    const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : minItems + 3;
    const count =
      depth >= MAX_DEPTH ? minItems : Math.min(maxItems, Math.max(minItems, 1 + Math.floor(this.random() * 2)));
    return Array.from({ length: count }, () => this.generate(items, depth + 1, fieldName));
  }

  private generateString(schema: JsonSchema, fieldName: string): string {
    const day = 1 + Math.floor(this.random() * 28);
    switch (schema.format) {
      case 'date-time':
        return `2026-01-${String(day).padStart(2, '0')}T12:00:00Z`;
      case 'date':
        return `2026-01-${String(day).padStart(2, '0')}`;
      case 'time':
        return '12:00:00';
      case 'duration':
        return 'PT1H';
      case 'email':
        return `${this.pick(this.words.length > 0 ? this.words : ['someone'])}@example.com`;
      case 'hostname':
        return 'example.com';
      case 'ipv4':
        return '192.0.2.1';
      case 'ipv6':
        return '2001:db8::1';
      case 'uuid':
        return uuidFrom(this.random);
      default:
        return this.phrase(fieldName);
    }
  }

  private generateNumber(schema: JsonSchema, integer: boolean): number {
    const minimum = numberOr(schema.minimum, numberOr(schema.exclusiveMinimum, 0));
    const maximum = numberOr(schema.maximum, numberOr(schema.exclusiveMaximum, minimum + 100));
    const value = minimum + this.random() * (maximum - minimum);
    return integer ? Math.ceil(value) : Math.round(value * 100) / 100;
  }

  private phrase(fieldName: string): string {
    if (this.words.length === 0) return `offline ${fieldName}`;
    const start = Math.floor(this.random() * this.words.length);
    const length = 3 + Math.floor(this.random() * 4);
    return Array.from({ length }, (_, index) => this.words[(start + index) % this.words.length]).join(' ');
  }

  private pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.random() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  private resolveRef(schema: JsonSchema): JsonSchema {
    if (typeof schema.$ref !== 'string') return schema;
    const name = schema.$ref.replace(/^#\/\$defs\//, '');
    const definitions = isSchema(this.root.$defs) ? this.root.$defs : {};
    const target = definitions[name];
    return isSchema(target) ? target : {};
  }
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

function toWords(text: string): string[] {
  return (
    text
      .toLowerCase()
      .match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu)
      ?.slice(0, 200) ?? []
  );
}

/** FNV-1a, 32 bit. */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: small, fast and good enough to pick words. */
function createRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  return `${hex.slice(0, 8).join('')}-${hex.slice(8, 12).join('')}-${hex.slice(12, 16).join('')}-${hex.slice(16, 20).join('')}-${hex.slice(20).join('')}`;
}
