import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigFileError, loadConfigFile } from './config-file.js';

function loadError(explicitPath: string | undefined): ConfigFileError {
  try {
    loadConfigFile(explicitPath);
  } catch (error) {
    if (error instanceof ConfigFileError) return error;
    throw error;
  }
  throw new Error('expected loadConfigFile to throw a ConfigFileError');
}

describe('loadConfigFile', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(path.join(tmpdir(), 'chainlog-config-'));
  });
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  function writeConfig(name: string, content: unknown): string {
    const file = path.join(directory, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  }

  it('loads providers, per-task models and params, and prices from a valid file', () => {
    const file = writeConfig('chainlog.config.json', {
      model: 'anthropic:claude-haiku-4-5',
      providers: { ollama: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:11434/v1' } },
      tasks: { 'intent recognition': { model: 'ollama:llama3.1', params: { temperature: 0.2, maxTokens: 400 } } },
      prices: { 'ollama:*': { inputPerMillion: 0, outputPerMillion: 0 } },
    });

    const config = loadConfigFile(file);

    expect(config).toEqual({
      model: 'anthropic:claude-haiku-4-5',
      providers: {
        ollama: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:11434/v1', structuredOutput: 'json_schema' },
      },
      tasks: { 'intent recognition': { model: 'ollama:llama3.1', params: { temperature: 0.2, maxTokens: 400 } } },
      prices: { 'ollama:*': { inputPerMillion: 0, outputPerMillion: 0 } },
    });
  });

  it('names the file and the path of each bad key', () => {
    const file = writeConfig('bad.json', {
      providers: { ollama: { type: 'openai-compatible', baseURL: 'not a url' } },
      tasks: { 'intent recognition': { params: { temperature: 5 } } },
      prices: { 'openai:gpt-x': { inputPerMillion: -1, outputPerMillion: 1 } },
    });

    const error = loadError(file);

    expect(error.message).toContain(file);
    expect(error.message).toMatch(/^\s*providers\.ollama\.baseURL: /m);
    expect(error.message).toMatch(/^\s*tasks\.intent recognition\.params\.temperature: /m);
    expect(error.message).toMatch(/^\s*prices\.openai:gpt-x\.inputPerMillion: /m);
  });

  it('names an unknown key rather than ignoring it', () => {
    const file = writeConfig('typo.json', { modle: 'openai:gpt-4.1' });

    expect(loadError(file).message).toContain('modle');
  });

  it('refuses an official provider name given another type', () => {
    const file = writeConfig('shadow.json', {
      providers: { openai: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:11434/v1' } },
    });
    expect(loadError(file).message).toContain('providers.openai.type');
  });

  it('names a file that is not JSON', () => {
    const file = writeConfig('broken.json', '{ "model": ');

    expect(loadError(file).message).toContain(`config file ${file} is not valid JSON`);
  });

  it('fails when an explicitly given file does not exist', () => {
    const missing = path.join(directory, 'missing.json');

    expect(loadError(missing).message).toContain(missing);
  });

  it('returns the defaults when no path is given and the working directory has no chainlog.config.json', () => {
    const previous = process.cwd();
    process.chdir(directory);
    try {
      expect(loadConfigFile(undefined)).toEqual({ providers: {}, tasks: {}, prices: {} });
    } finally {
      process.chdir(previous);
    }
  });

  it('reads ./chainlog.config.json when no path is given', () => {
    writeConfig('chainlog.config.json', { model: 'openai:gpt-4.1' });
    const previous = process.cwd();
    process.chdir(directory);
    try {
      expect(loadConfigFile(undefined)).toMatchObject({ model: 'openai:gpt-4.1' });
    } finally {
      process.chdir(previous);
    }
  });
});
