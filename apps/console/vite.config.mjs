// @ts-check
/**
 * The operators' console: a static single-page app the gateway serves at /console/ (apps/chat-gateway/src/console).
 * Built offline from node_modules into dist/console (`npm run build`); file names under assets/ carry a content
 * hash, which is what lets the gateway cache them for a year. TSX is compiled by Vite's own Oxc transform with
 * Preact's automatic JSX runtime: no plugin.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The module preload helper would be inlined into index.html otherwise; the CSP allows no inline script.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: true,
    chunkSizeWarningLimit: 400,
  },
});
