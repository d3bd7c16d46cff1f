import { defineConfig } from 'vite'

/**
 * The renderer, built twice from the same source: `vite build` makes the web build served by
 * the gateway at / (dist-web); `--mode electron` makes the one Electron loads from disk
 * (dist/renderer, relative asset paths for file://).
 */
export default defineConfig(({ mode }) => ({
  root: 'src/renderer',
  base: mode === 'electron' ? './' : '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: mode === 'electron' ? '../../dist/renderer' : '../../dist-web',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
}))
