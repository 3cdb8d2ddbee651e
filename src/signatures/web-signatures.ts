import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { OnrampError } from '../errors.js';
import { UpstreamError, type ExchangePort } from '../graph/graph-port.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { decodeEntities } from './sanitise.js';
import type { SanitiserPool } from './sanitiser-pool.js';
import { lastSetSignature, recordSignatureUpdate } from './signatures.queries.js';

export interface SignatureOptions {
  autoAddSignature: boolean;
  autoAddSignatureOnReply: boolean;
  dedupeHours: number;
  maxBytes: number;
}

export type SignatureOutcome = { result: 'set' | 'skipped'; contentHash: string };

/** autoSetWebSignature: sanitise, skip unchanged content within the dedupe window, set through Exchange, record. */
export class WebSignatures {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly exchange: ExchangePort,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: SignatureOptions,
    private readonly sanitiser: Pick<SanitiserPool, 'sanitise'>,
  ) {}

  async set(upn: string, signatureHtml: string, signatureText: string, requestId: string): Promise<SignatureOutcome> {
    const mailbox = upn.trim().toLowerCase();
    // Fully entity-encoded HTML (no tag left) is how the seed's device scripts send it.
    const markup = signatureHtml.includes('<') ? signatureHtml : decodeEntities(signatureHtml);
    const text = decodeEntities(signatureText);
    // The size first: a signature over the limit is refused before any parsing.
    const tooLarge = (htmlBytes: number) => htmlBytes + Buffer.byteLength(text) > this.options.maxBytes;
    if (tooLarge(Buffer.byteLength(markup))) throw new OnrampError('ONRAMP_ERR_BODY_TOO_LARGE', [this.options.maxBytes]);
    const sanitised = await this.sanitiser.sanitise(markup);
    if (!sanitised.ok) {
      throw 'busy' in sanitised ? new OnrampError('ONRAMP_ERR_SIGNATURE_BUSY') : new OnrampError('ONRAMP_ERR_SIGNATURE_TOO_COMPLEX', [sanitised.reason]);
    }
    const html = sanitised.html;
    // Escaping stray `<` and `&` can make the sanitised HTML longer than what was sent.
    if (tooLarge(Buffer.byteLength(html))) throw new OnrampError('ONRAMP_ERR_BODY_TOO_LARGE', [this.options.maxBytes]);
    const contentHash = createHash('sha256').update(html).update('\0').update(text).digest('hex');
    const now = this.clock.now();
    const last = await lastSetSignature(this.db, mailbox);
    const windowMs = this.options.dedupeHours * 3_600_000;
    if (last && last.content_hash === contentHash && now.getTime() - Date.parse(last.requested_at) < windowMs) {
      await recordSignatureUpdate(this.db, {
        mailbox,
        content_hash: contentHash,
        requested_at: now.toISOString(),
        result: 'skipped',
        error: null,
        request_id: requestId,
      });
      return { result: 'skipped', contentHash };
    }
    try {
      await this.exchange.setWebSignature(mailbox, {
        html,
        text,
        autoAddSignature: this.options.autoAddSignature,
        autoAddSignatureOnReply: this.options.autoAddSignatureOnReply,
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await recordSignatureUpdate(this.db, {
        mailbox,
        content_hash: contentHash,
        requested_at: now.toISOString(),
        result: 'failed',
        error: message.slice(0, 500),
        request_id: requestId,
      });
      this.log.warn({ err, mailbox, requestId }, 'setting the web signature failed upstream');
      const status = err instanceof UpstreamError ? err.status : 0;
      const throttledOrDown = status === 429 || status === 503 || status === 504 || status === 0;
      throw new OnrampError(throttledOrDown ? 'ONRAMP_ERR_UPSTREAM_UNAVAILABLE' : 'ONRAMP_ERR_UPSTREAM_FAILED', [requestId], { cause: err });
    }
    await recordSignatureUpdate(this.db, {
      mailbox,
      content_hash: contentHash,
      requested_at: now.toISOString(),
      result: 'set',
      error: null,
      request_id: requestId,
    });
    return { result: 'set', contentHash };
  }
}
