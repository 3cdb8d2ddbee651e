// Bundles the add-in's runtime and taskpane (addin/src, with MSAL.js for nested app authentication)
// into one classic script each in addin/dist, served by src/addin from onramp itself (no CDN but
// Microsoft's office.js). Part of `npm run build`.
import { build } from 'esbuild';

await build({
  entryPoints: { runtime: 'addin/src/runtime.js', taskpane: 'addin/src/taskpane.js' },
  outdir: 'addin/dist',
  bundle: true,
  // Classic scripts: the JavaScript-only runtime of classic Outlook on Windows loads no modules.
  format: 'iife',
  // That runtime's engine; newer syntax (optional chaining, class fields) is lowered.
  target: 'es2017',
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
