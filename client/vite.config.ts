import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { precompress } from './build/precompress.js';
import { quietProxyLogging } from './build/quiet-proxy-logger.js';

// `npm run dev`: the Vite dev server proxies the API to the server that the same command starts on PORT.
const apiTarget = `http://127.0.0.1:${process.env.PORT ?? '8800'}`;
const { customLogger, configure } = quietProxyLogging(apiTarget);

export default defineConfig({
  customLogger,
  // precompress: `.br` and `.gz` beside each file, which `npm start` sends to browsers that accept them.
  plugins: [react(), precompress()],
  // Relative asset URLs keep the bundle flat, so it can be served from any prefix (S3, a CDN, or the server).
  base: './',
  build: {
    rolldownOptions: {
      output: {
        // Libraries every view needs in chunks of their own: they change less often than the app, so browsers keep
        // them cached. Not MUI nor zod: a group takes in every module it matches, so the first view would load the
        // components and schemas of the lazy pages too (bench/first-load.ts measures it).
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|react-router|scheduler)[\\/]/ },
            { name: 'data', test: /node_modules[\\/](@trpc|@tanstack)[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/trpc': { target: apiTarget, ws: true, configure },
      '/healthz': { target: apiTarget, changeOrigin: true, configure },
    },
  },
});
