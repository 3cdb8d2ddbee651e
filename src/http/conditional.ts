/**
 * Conditional GETs (RFC 9110): the routes that answer with an ETag (the device manifest, the signature
 * set, the add-in's signatures, branding files) read If-None-Match the same way and answer 304 the same way.
 */

/** An If-None-Match header naming this ETag (or `*`); weak forms compare equal for GET, as RFC 9110 allows. */
export function ifNoneMatchHolds(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '');
    return t === '*' || t === etag;
  });
}

/**
 * The response schema of a 304: plain JSON schema (not TypeBox) so the route sends no body
 * (`reply.code(304).send()`). With a serialised `null` Fastify would add `Content-Length: 4` to a
 * bodiless answer, which some keep-alive clients then wait for.
 */
export const NOT_MODIFIED = { type: 'null', description: 'Unchanged (If-None-Match); no body' } as const;
