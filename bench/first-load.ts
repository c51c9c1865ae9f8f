/**
 * How much JavaScript does the first view download? Reads the built client (client/dist, or the folder given as the
 * first argument), follows index.html's module script and modulepreload links, then each chunk's static imports (not
 * its dynamic ones: lazy pages load later), and prints the bytes raw, gzip (level 9) and brotli (quality 11), the
 * encodings `npm start` serves. Also the total of all JavaScript in the bundle, lazy chunks included.
 *   npm run build && npx tsx bench/first-load.ts [client/dist]
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, parse } from 'es-module-lexer';
import { brotli, gzipBest } from '../client/build/precompress.js';

/** The first view's JavaScript must stay within this many gzip bytes (issue 10). */
export const FIRST_VIEW_GZIP_BUDGET = 160 * 1024;

export interface ChunkSize {
  file: string;
  raw: number;
  gzip: number;
  brotli: number;
}

export interface FirstLoad {
  firstView: ChunkSize[];
  lazy: ChunkSize[];
  /** What opening each lazy page adds to the first view: its chunk and the shared chunks only it needs so far. */
  pages: ChunkSize[];
}

async function sizeOf(distDir: string, file: string): Promise<ChunkSize> {
  const bytes = await readFile(path.join(distDir, file));
  const [gzip, br] = await Promise.all([gzipBest(bytes), brotli(bytes)]);
  return { file, raw: bytes.length, gzip: gzip.length, brotli: br.length };
}

/** The scripts index.html loads at once: its module scripts and modulepreload links, as paths under distDir. */
function entryScripts(indexHtml: string): string[] {
  const found: string[] = [];
  for (const tag of indexHtml.match(/<(?:script|link)\b[^>]*>/g) ?? []) {
    const isModuleScript = tag.startsWith('<script') && /\btype="module"/.test(tag);
    const isPreload = tag.startsWith('<link') && /\brel="modulepreload"/.test(tag);
    const url = /\b(?:src|href)="([^"]+)"/.exec(tag)?.[1];
    if ((isModuleScript || isPreload) && url) found.push(path.posix.normalize(url.replace(/^\//, '')));
  }
  return found;
}

/** The files `entries` load at once: themselves and, transitively, their static imports (not dynamic import()s). */
async function staticClosure(distDir: string, entries: string[]): Promise<Set<string>> {
  await init;
  const pending = [...entries];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop();
    if (file === undefined || seen.has(file)) continue;
    seen.add(file);
    const [imports] = parse(await readFile(path.join(distDir, file), 'utf8'));
    for (const imported of imports) {
      // d === -1: a static import or re-export; dynamic import() (d >= 0) and import.meta (d === -2) are not fetched now.
      if (imported.d === -1 && imported.n?.startsWith('.'))
        pending.push(path.posix.join(path.posix.dirname(file), imported.n));
    }
  }
  return seen;
}

/** Follows static imports from index.html's scripts; every other .js file of the bundle is lazy. */
export async function measureFirstLoad(distDir: string): Promise<FirstLoad> {
  const indexHtml = await readFile(path.join(distDir, 'index.html'), 'utf8');
  const firstViewFiles = await staticClosure(distDir, entryScripts(indexHtml));
  const allScripts = (await readdir(distDir, { recursive: true }))
    .filter((file) => file.endsWith('.js'))
    .map((file) => file.split(path.sep).join('/'));
  const sizes = await Promise.all(allScripts.sort().map((file) => sizeOf(distDir, file)));
  const lazy = sizes.filter(({ file }) => !firstViewFiles.has(file));
  // A lazy page (`<name>-page-<hash>.js`) brings its chunk and whatever else it imports that the first view has not.
  const pages = await Promise.all(
    lazy
      .filter(({ file }) => /-page-[\w-]+\.js$/.test(file))
      .map(async ({ file }) => {
        const added = [...(await staticClosure(distDir, [file]))].filter((name) => !firstViewFiles.has(name));
        return { ...total(sizes.filter((size) => added.includes(size.file))), file };
      }),
  );
  return { firstView: sizes.filter(({ file }) => firstViewFiles.has(file)), lazy, pages };
}

function total(chunks: ChunkSize[]): ChunkSize {
  return chunks.reduce(
    (sum, chunk) => ({
      file: sum.file,
      raw: sum.raw + chunk.raw,
      gzip: sum.gzip + chunk.gzip,
      brotli: sum.brotli + chunk.brotli,
    }),
    {
      file: `${chunks.length} file(s)`,
      raw: 0,
      gzip: 0,
      brotli: 0,
    },
  );
}

const kilobytes = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const row = ({ file, raw, gzip, brotli: br }: ChunkSize) =>
  `${file.padEnd(42)}${kilobytes(raw).padStart(11)}${kilobytes(gzip).padStart(11)}${kilobytes(br).padStart(11)}`;

/** Prints the table; returns false when the first view is over its gzip budget. */
export function printFirstLoad({ firstView, lazy, pages }: FirstLoad): boolean {
  const firstTotal = total(firstView);
  const lines = [
    `${'first view (index.html + static imports)'.padEnd(42)}${'raw'.padStart(11)}${'gzip'.padStart(11)}${'brotli'.padStart(11)}`,
    ...firstView.map(row),
    row({ ...firstTotal, file: `= first view, ${firstTotal.file}` }),
    ...lazy.map((chunk) => row({ ...chunk, file: `lazy ${chunk.file}` })),
    row({ ...total([...firstView, ...lazy]), file: `= all JavaScript, ${firstView.length + lazy.length} file(s)` }),
    ...pages.map((page) =>
      row({
        ...page,
        file: `opening ${page.file.replace(/^assets\//, '').replace(/-page-[\w-]+\.js$/, '')} page adds`,
      }),
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const withinBudget = firstTotal.gzip <= FIRST_VIEW_GZIP_BUDGET;
  process.stdout.write(
    `first view gzip ${kilobytes(firstTotal.gzip)}: ${withinBudget ? 'within' : 'OVER'} the ${kilobytes(FIRST_VIEW_GZIP_BUDGET)} budget\n\n`,
  );
  return withinBudget;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const distDir = path.resolve(process.argv[2] ?? fileURLToPath(new URL('../client/dist', import.meta.url)));
  printFirstLoad(await measureFirstLoad(distDir));
}
