import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs keep the bundle flat, so it can be served from any prefix (S3, a CDN, or the server).
  base: './',
  server: { proxy: { '/trpc': { target: 'http://127.0.0.1:8800', ws: true }, '/healthz': 'http://127.0.0.1:8800' } },
});
