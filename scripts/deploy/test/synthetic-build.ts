import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Writes a small client build (relative path → content) into a new temporary folder; returns the folder. */
export function writeSyntheticBuild(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'chainlog-build-'));
  for (const [relativePath, content] of Object.entries(files)) {
    const file = path.join(dir, relativePath);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return dir;
}

/** A build in the shape Vite makes: an index.html naming its entry chunk, fingerprinted assets, a public file. */
export function viteLikeBuild(entryHash: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'index.html': `<!doctype html><script type="module" src="./assets/app-${entryHash}.js"></script>`,
    [`assets/app-${entryHash}.js`]: `import './vendor-VVVVVVVV.js'; console.log('${entryHash}');`,
    'assets/vendor-VVVVVVVV.js': 'export const vendor = 1;',
    'favicon.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
    ...extra,
  };
}
