/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The Go server to proxy to in `npm run dev` (override with KVMM_BACKEND).
const backend = process.env.KVMM_BACKEND ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    target: 'es2022',
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    // Report gzip sizes in the build output.
    reportCompressedSize: true,
    // The budget is gzipped (first page ≤ 250 kB: npm run size); minified, the main chunk is ~480 kB.
    chunkSizeWarningLimit: 600,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: {
      // The API and the Server-Sent Events stream (streamed, not buffered).
      '/api': { target: backend, changeOrigin: false },
      // GET /login?token=… is the server's login link; plain /login is this app's page.
      '/login': {
        target: backend,
        changeOrigin: false,
        bypass(req) {
          const url = new URL(req.url ?? '/', 'http://x');
          return url.searchParams.has('token') ? undefined : '/index.html';
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
    // Component tests render Radix dialogs in jsdom, slow on a busy 2-core machine.
    testTimeout: 20_000,
  },
});
