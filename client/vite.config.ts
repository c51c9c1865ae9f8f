import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev`: the Vite dev server proxies the API to the server that the same command starts on PORT.
const apiTarget = `http://127.0.0.1:${process.env.PORT ?? '8800'}`;

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs keep the bundle flat, so it can be served from any prefix (S3, a CDN, or the server).
  base: './',
  build: {
    rolldownOptions: {
      output: {
        // Libraries in chunks of their own: they change less often than the app, so browsers keep them cached.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|react-router|scheduler)[\\/]/ },
            { name: 'mui', test: /node_modules[\\/](@mui|@emotion|@popperjs|react-transition-group|stylis)[\\/]/ },
            { name: 'data', test: /node_modules[\\/](@trpc|@tanstack|zod)[\\/]/ },
          ],
        },
      },
    },
  },
  server: { proxy: { '/trpc': { target: apiTarget, ws: true }, '/healthz': apiTarget } },
});
