import { readFileSync } from 'node:fs';
import { z } from 'zod';

const { dependencies } = z
  .object({ dependencies: z.object({ '@trpc/server': z.string() }) })
  .parse(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')));
const trpcVersion = dependencies['@trpc/server'];

/** `dist/api`: the router's declaration as a package another project installs by path or as a tarball. */
export const API_PACKAGE = {
  trpcVersion,
  manifest: {
    name: '@chainlog/api',
    version: '0.0.0',
    description: "The type of Chainlog's tRPC router, for typed clients",
    type: 'module',
    types: './index.d.ts',
    exports: { '.': { types: './index.d.ts' } },
    // The same tRPC as the server: another minor types the procedures differently.
    peerDependencies: { '@trpc/client': trpcVersion, '@trpc/server': trpcVersion },
  },
};
