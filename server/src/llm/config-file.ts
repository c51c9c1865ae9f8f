import { existsSync, readFileSync } from 'node:fs';
import { type ConfigFile, configFileSchema } from './settings.js';
import { errorMessage } from '../error-message.js';

export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

/**
 * Reads the deployment's config: the path given (it must exist), else ./chainlog.config.json if present, else defaults.
 * @throws ConfigFileError naming the file and every bad key.
 */
export function loadConfigFile(explicitPath: string | undefined): ConfigFile {
  const path = explicitPath ?? 'chainlog.config.json';
  if (!explicitPath && !existsSync(path)) return configFileSchema.parse({});
  let raw: unknown;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigFileError(`cannot read config file ${path}: ${errorMessage(error)}`, { cause: error });
  }
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the text around the mistake, which may be an API key: report only where it is.
    throw new ConfigFileError(`config file ${path} is not valid JSON${describePosition(text, error)}`);
  }
  const result = configFileSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ConfigFileError(`invalid config file ${path}:\n${problems.join('\n')}`);
}

function describePosition(text: string, error: unknown): string {
  const position = Number((error instanceof Error ? error.message : '').match(/position (\d+)/)?.[1]);
  if (!Number.isInteger(position)) return '';
  const before = text.slice(0, position).split('\n');
  return ` (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})`;
}
