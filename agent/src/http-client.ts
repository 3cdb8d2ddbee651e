/**
 * The agent's one way to talk to onramp: HTTPS with the device's client certificate (mTLS) over a
 * keep-alive agent, a timeout per request, retries with exponential backoff (network errors, 5xx, 429
 * with its Retry-After), conditional GETs (If-None-Match → 304) and downloads checked against their
 * SHA-256 before anyone may use them. Only paths on the configured origin are requested: a manifest
 * cannot send the certificate to another host.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { Agent, request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { AgentConfig } from './config.js';

/** The server could not be reached (or kept failing): the sync goes on offline. */
export class ServerUnreachableError extends Error {
  override readonly name = 'ServerUnreachableError';
}

/** The server answered with a refusal (4xx): retrying would not help. */
export class ServerRefusedError extends Error {
  override readonly name = 'ServerRefusedError';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** A download whose bytes are not the ones the manifest names: never written where it would be used. */
export class CorruptDownloadError extends Error {
  override readonly name = 'CorruptDownloadError';
}

export type Conditional<T> = { status: 'changed'; body: T; etag: string | undefined } | { status: 'not-modified' };

export interface ExpectedFile {
  sha256: string;
  url: string;
  size: number;
}

interface Response {
  status: number;
  headers: IncomingMessage['headers'];
  res: IncomingMessage;
}

const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

async function readBody(res: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) {
      res.destroy();
      throw new ServerRefusedError(0, undefined, `answer larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function refusal(response: Response): Promise<ServerRefusedError> {
  const text = (await readBody(response.res, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
  let code: string | undefined;
  let message = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // Not the catalogue's JSON (a proxy's page): the text is the best reason there is.
  }
  return new ServerRefusedError(response.status, code, `HTTP ${response.status}${code ? ` ${code}` : ''}: ${message}`);
}

export interface DeviceClientOptions {
  /** Raw TLS material, already read from the configured files. */
  tls: Pick<RequestOptions, 'cert' | 'key' | 'pfx' | 'passphrase' | 'ca'>;
  serverUrl: string;
  timeoutMs: number;
  retries: number;
  retryBaseDelayMs: number;
  /** Largest JSON answer accepted (a signature set with images is the biggest). */
  maxJsonBytes?: number;
}

export class DeviceClient {
  readonly #agent: Agent;
  readonly #origin: URL;
  readonly #options: DeviceClientOptions;

  constructor(options: DeviceClientOptions) {
    this.#options = options;
    this.#origin = new URL(options.serverUrl);
    this.#agent = new Agent({ keepAlive: true, maxSockets: 4, minVersion: 'TLSv1.2', ...options.tls });
  }

  /** Reads the certificate files named in the config (PEM pair or PFX with its password file). */
  static async fromConfig(config: AgentConfig): Promise<DeviceClient> {
    const c = config.credentials;
    const tls: DeviceClientOptions['tls'] =
      'certFile' in c
        ? { cert: await readFile(c.certFile), key: await readFile(c.keyFile) }
        : { pfx: await readFile(c.pfxFile), ...(c.passphraseFile ? { passphrase: (await readFile(c.passphraseFile, 'utf8')).trim() } : {}) };
    if (config.caFile) tls.ca = await readFile(config.caFile);
    return new DeviceClient({
      tls,
      serverUrl: config.serverUrl,
      timeoutMs: config.requestTimeoutMs,
      retries: config.retries,
      retryBaseDelayMs: config.retryBaseDelayMs,
    });
  }

  close(): void {
    this.#agent.destroy();
  }

  /** A path on the device listener; anything that would leave its origin is refused. */
  #url(path: string): URL {
    const url = new URL(path, this.#origin);
    if (url.origin !== this.#origin.origin || !path.startsWith('/'))
      throw new ServerRefusedError(0, undefined, `refused to fetch ${path}: not a path on ${this.#origin.origin}`);
    return url;
  }

  #once(method: string, url: URL, headers: Record<string, string>, body?: Buffer): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method, agent: this.#agent, headers, timeout: this.#options.timeoutMs }, (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, res });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${this.#options.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** One request with the retries: resolves with a 2xx/304 answer, throws Unreachable or Refused. */
  async #send(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Response> {
    const url = this.#url(path);
    let lastProblem = '';
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const response = await this.#once(method, url, { accept: 'application/json', ...headers }, body);
        if ((response.status >= 200 && response.status < 300) || response.status === 304) return response;
        if (response.status < 500 && response.status !== 429) throw await refusal(response);
        response.res.resume();
        lastProblem = `HTTP ${response.status}`;
        const retryAfter = Number(response.headers['retry-after']);
        if (Number.isFinite(retryAfter)) retryAfterMs = Math.min(retryAfter, 60) * 1000;
      } catch (err) {
        if (err instanceof ServerRefusedError) throw err;
        const code = (err as NodeJS.ErrnoException).code ?? '';
        // TLS failures (an untrusted server, a refused certificate) are not fixed by asking again.
        if (!RETRYABLE_CODES.has(code)) throw new ServerUnreachableError(`${method} ${url.pathname} failed: ${(err as Error).message}`);
        lastProblem = `${code}: ${(err as Error).message}`;
      }
      if (attempt >= this.#options.retries) throw new ServerUnreachableError(`${method} ${url.pathname} failed after ${attempt + 1} attempts: ${lastProblem}`);
      // Full jitter: a fleet that lost the server together does not come back in step.
      const backoff = this.#options.retryBaseDelayMs * 2 ** attempt * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, retryAfterMs ?? backoff));
    }
  }

  /** GET a JSON document; with `etag`, a 304 says it is unchanged. The caller validates the body. */
  async getJson(path: string, etag?: string): Promise<Conditional<unknown>> {
    const response = await this.#send('GET', path, etag ? { 'if-none-match': etag } : {});
    if (response.status === 304) {
      response.res.resume();
      return { status: 'not-modified' };
    }
    const text = (await readBody(response.res, this.#options.maxJsonBytes ?? 32 * 1024 * 1024)).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ServerRefusedError(response.status, undefined, `GET ${path}: the answer is not JSON`);
    }
    const tag = response.headers.etag;
    return { status: 'changed', body, etag: typeof tag === 'string' ? tag : undefined };
  }

  async postJson(path: string, body: unknown): Promise<unknown> {
    const payload = Buffer.from(JSON.stringify(body));
    const response = await this.#send('POST', path, { 'content-type': 'application/json', 'content-length': String(payload.length) }, payload);
    return JSON.parse((await readBody(response.res, 1024 * 1024)).toString('utf8') || 'null');
  }

  /**
   * Downloads `file` to `destination`: streamed into a temp file while hashed and counted, renamed into
   * place only when size and SHA-256 are the manifest's. Anything else is deleted and refused.
   */
  async download(file: ExpectedFile, destination: string): Promise<void> {
    const response = await this.#send('GET', file.url, { accept: '*/*' });
    await mkdir(dirname(destination), { recursive: true });
    const temp = `${destination}.${process.pid}.download`;
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        // A server sending more than announced is cut off at once, not after filling the disk.
        if (size > file.size) return done(new CorruptDownloadError(`${file.url}: more than the ${file.size} bytes the manifest names`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(response.res, meter, createWriteStream(temp));
      const sha256 = hash.digest('hex');
      if (size !== file.size || sha256 !== file.sha256) {
        throw new CorruptDownloadError(`${file.url}: got ${size} bytes with SHA-256 ${sha256}, expected ${file.size} bytes with ${file.sha256}`);
      }
      await rename(temp, destination);
    } catch (err) {
      await rm(temp, { force: true });
      if (err instanceof CorruptDownloadError) throw err;
      throw new ServerUnreachableError(`GET ${file.url} broke off: ${(err as Error).message}`);
    }
  }
}
