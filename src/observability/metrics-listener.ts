import { createServer, type Server } from 'node:http';
import { portInUse, type ListenTarget } from '../lib/listen-check.js';
import type { OnrampMetrics } from './metrics.js';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * The metrics port: GET /metrics and nothing else, without authentication, so it binds to loopback
 * by default (docs/OPERATIONS.md). A plain node:http server: no routing, logging or error pages needed.
 */
export async function startMetricsListener(metrics: OnrampMetrics, target: ListenTarget): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics listener serves GET /metrics only\n');
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics could not be collected: ${(err as Error).message}\n`),
    );
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(portInUse(err, target) ?? err));
    server.listen({ host: target.host, port: target.port }, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : target.port;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
