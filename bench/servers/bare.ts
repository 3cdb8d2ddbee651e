/**
 * The baseline servers: a bare Fastify route with nothing of onramp in it, over plain HTTP or over
 * mTLS (client certificate required and verified against the bench CA). Measured in the same run as
 * onramp's routes so each figure can be read as a ratio to what Fastify alone does on this machine.
 *
 *   bare.ts <port>                         plain HTTP
 *   bare.ts <port> <ca> <cert> <key>       HTTPS, client certificate required
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';

const [port, ca, cert, key] = process.argv.slice(2);
const https =
  ca && cert && key
    ? { ca: readFileSync(ca), cert: readFileSync(cert), key: readFileSync(key), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' as const }
    : null;
// Routes are the same over HTTP and HTTPS; only the raw server type differs (as in src/app.ts).
const app: FastifyInstance = https ? (Fastify({ https }) as unknown as FastifyInstance) : Fastify();

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
app.get('/bare', async (_req, reply) => reply.header('cache-control', 'no-store').type('image/gif').send(GIF));
app.post('/bare', async (req) => ({ ok: true, echo: (req.body as { upn?: string } | undefined)?.upn ?? null }));
app.get('/ready', async () => ({ ok: true }));

await app.listen({ host: '127.0.0.1', port: Number(port) });
process.stdout.write('bare server ready\n');
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
