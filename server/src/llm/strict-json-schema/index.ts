export { toAnthropicJsonSchema } from './anthropic-profile.js';
export { type StrictJsonSchema, toStrictJsonSchema } from './convert.js';
export type { JsonSchema } from './json-schema.js';
export { UnsupportedSchemaError } from './unsupported-schema-error.js';
