/**
 * GET /api/signatures on the device listener (behind the gateway: mTLS, the query's `upn` bound to the
 * certificate): the rendered set for the certificate's user, every signature with its Outlook classic
 * files (htm, rtf, txt, images) and web form, which is the default for new mail and for replies, and a
 * version per signature and per set. The set hash is the ETag: an agent that has it gets 304.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { OnrampError } from '../errors.js';
import { HOT_ROUTE_LOG_LEVEL } from '../http/common.js';
import { DeviceSignatureSet } from './deployment.schemas.js';
import type { SignaturePlanner } from './model.js';
import { ifNoneMatchHolds, NOT_MODIFIED } from '../http/conditional.js';

const Query = Type.Object({ upn: Type.String({ minLength: 3, maxLength: 256 }) }, { additionalProperties: false });

export async function deviceSignatureRoutes(parent: FastifyInstance, opts: { planner: SignaturePlanner }): Promise<void> {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/signatures',
    {
      logLevel: HOT_ROUTE_LOG_LEVEL,
      schema: { querystring: Query, response: { 200: DeviceSignatureSet, 304: NOT_MODIFIED } },
    },
    async (req, reply) => {
      const upn = req.query.upn.trim().toLowerCase();
      // The user's own mailbox: the planner takes the UPN for it.
      const expected = await opts.planner.expectedFor(upn);
      if (!expected) throw new OnrampError('ONRAMP_ERR_NO_SIGNATURES', [upn]);
      const etag = `"${expected.setHash}"`;
      reply.header('etag', etag).header('cache-control', 'private, no-cache');
      if (ifNoneMatchHolds(req.headers['if-none-match'], etag)) return reply.code(304).send();
      return {
        upn: expected.userPrincipalName,
        mailbox: expected.mailbox,
        setHash: expected.setHash,
        signatures: expected.signatures.map((s) => ({
          name: s.name,
          templateId: s.templateId,
          templateVersion: s.templateVersion,
          defaultForNew: s.defaultFor.includes('new'),
          defaultForReply: s.defaultFor.includes('reply'),
          version: s.rendered.hash,
          htm: s.rendered.htm,
          rtf: s.rendered.rtf,
          txt: s.rendered.txt,
          webHtml: s.rendered.webHtml,
          files: s.rendered.files.map((f) => ({ path: f.path, contentType: f.contentType, base64: f.bytes.toString('base64') })),
        })),
      };
    },
  );
}
