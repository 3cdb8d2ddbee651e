/** The store's SignatureEngine over the Liquid-based template engine in template/. */
import type { CompileOptions } from './template/compile.js';
import { compileTemplate } from './template/compile.js';
import { renderSignature } from './template/render.js';
import type { SignatureEngine } from './engine.js';

export function liquidSignatureEngine(limits: CompileOptions['limits']): SignatureEngine {
  return {
    compile(source, options = {}) {
      const outcome = compileTemplate(source, {
        limits,
        ...(options.variables ? { variables: options.variables } : {}),
        ...(options.assets ? { assets: options.assets } : {}),
        // Saving checks every name; a stored version keeps rendering after an image of its is deleted.
        ...(options.variables ? {} : { dropUnknownAssets: true }),
      });
      if (!outcome.ok) return outcome;
      const template = outcome.template;
      return {
        ok: true,
        template: {
          placeholders: outcome.placeholders,
          assets: template.assets,
          render: (subject, request) =>
            renderSignature(template, subject, {
              name: request.name,
              now: request.now,
              timeZone: request.timeZone,
              assets: (hash) => request.assets.get(hash),
            }),
        },
      };
    },
  };
}
