import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { StoredHeaders, StoredObject } from './bucket-objects.js';
import type { BuildFile } from './build-files.js';
import { planDeploy } from './deploy-plan.js';
import type { StoredManifest } from './manifest.js';

const PREVIOUS_DEPLOY = new Date('2026-12-01T10:00:00Z');

function file(key: string, content = key): BuildFile {
  const body = Buffer.from(content);
  const role = key === 'index.html' ? 'entry' : key.startsWith('assets/') ? 'hashed' : 'other';
  return {
    key,
    relativePath: key,
    body,
    sha256: createHash('sha256').update(body).digest('hex'),
    contentType: key.endsWith('.html') ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8',
    cacheControl: role === 'hashed' ? 'public, max-age=31536000, immutable' : 'no-cache',
    role,
  };
}

function storedAt(keys: Record<string, Date>): Map<string, StoredObject> {
  return new Map(Object.entries(keys).map(([key, lastModified]) => [key, { key, lastModified }]));
}

function manifest(previousFiles: string[], objects: string[]): StoredManifest {
  return {
    manifest: {
      version: 1,
      deploys: [{ at: PREVIOUS_DEPLOY.toISOString(), apiUrl: null, files: previousFiles }],
      objects,
    },
    writtenAt: PREVIOUS_DEPLOY,
  };
}

const BEFORE = new Date('2026-12-01T09:00:00Z');
const AFTER = new Date('2026-12-01T10:00:01Z');

describe('planning a deploy', () => {
  test('uploads go fingerprinted assets first, other files next, index.html last', () => {
    const files = [file('index.html'), file('favicon.svg'), file('assets/b-BBBBBBBB.js'), file('assets/a-AAAAAAAA.js')];
    const plan = planDeploy({ files, stored: new Map(), storedHeaders: new Map(), previous: undefined });
    expect(plan.uploads.map(({ file: planned }) => planned.key)).toEqual([
      'assets/a-AAAAAAAA.js',
      'assets/b-BBBBBBBB.js',
      'favicon.svg',
      'index.html',
    ]);
  });

  test('a stored file with the same hash but other headers is uploaded again; one without our hash is replaced', () => {
    const same = file('index.html');
    const asset = file('assets/a-AAAAAAAA.js');
    const headers = new Map<string, StoredHeaders>([
      [same.key, { sha256: same.sha256, contentType: 'text/html', cacheControl: 'no-cache' }],
      [asset.key, { sha256: undefined, contentType: asset.contentType, cacheControl: asset.cacheControl }],
    ]);
    const plan = planDeploy({
      files: [same, asset],
      stored: storedAt({ [same.key]: BEFORE, [asset.key]: BEFORE }),
      storedHeaders: headers,
      previous: undefined,
    });
    expect(plan.uploads.map(({ file: planned, reason }) => [planned.key, reason])).toEqual([
      ['assets/a-AAAAAAAA.js', 'not written by a deploy'],
      ['index.html', 'headers changed'],
    ]);
  });

  test('an old asset is deleted only when neither this build nor the previous deploy has it and it is not newer than that deploy', () => {
    const files = [file('index.html'), file('assets/new-CCCCCCCC.js')];
    const stored = storedAt({
      'assets/previous-BBBBBBBB.js': BEFORE,
      'assets/older-AAAAAAAA.js': BEFORE,
      'assets/rewritten-DDDDDDDD.js': AFTER,
      'assets/same-second-EEEEEEEE.js': PREVIOUS_DEPLOY,
      'notes/not-ours.txt': BEFORE,
    });
    const objects = [
      'assets/previous-BBBBBBBB.js',
      'assets/older-AAAAAAAA.js',
      'assets/rewritten-DDDDDDDD.js',
      'assets/same-second-EEEEEEEE.js',
      'assets/gone-FFFFFFFF.js',
    ];
    const plan = planDeploy({
      files,
      stored,
      storedHeaders: new Map(),
      previous: manifest(['index.html', 'assets/previous-BBBBBBBB.js'], objects),
    });
    expect(plan.deletions).toEqual(['assets/older-AAAAAAAA.js', 'assets/same-second-EEEEEEEE.js']);
    expect(plan.kept).toEqual([
      { key: 'assets/previous-BBBBBBBB.js', reason: 'in the previous deploy' },
      { key: 'assets/rewritten-DDDDDDDD.js', reason: 'written since the previous deploy' },
    ]);
    // An object no deploy wrote is never touched, and one already gone is forgotten.
    expect(plan.objects.sort()).toEqual([
      'assets/new-CCCCCCCC.js',
      'assets/previous-BBBBBBBB.js',
      'assets/rewritten-DDDDDDDD.js',
      'index.html',
    ]);
  });

  test('without a manifest nothing is deleted', () => {
    const plan = planDeploy({
      files: [file('index.html')],
      stored: storedAt({ 'assets/old-AAAAAAAA.js': BEFORE }),
      storedHeaders: new Map(),
      previous: undefined,
    });
    expect(plan.deletions).toEqual([]);
  });
});
