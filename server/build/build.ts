import { build } from 'esbuild';
import { serverBundleOptions } from './bundle-options.js';

await build(serverBundleOptions);
