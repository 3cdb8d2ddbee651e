import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { OnrampContext } from '../context.js';
import { HOT_ROUTE_LOG_LEVEL } from '../http/common.js';
import { BeaconBody, normaliseBeacon } from './beacon.js';
import { BeaconWriter } from './beacon-writer.js';

/** Device telemetry routes on the device listener (behind the gateway's hooks). */
export async function deviceTelemetryRoutes(parent: FastifyInstance, opts: { ctx: OnrampContext }): Promise<void> {
  const { ctx } = opts;
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const writer = new BeaconWriter(
    ctx.storage.db,
    { retentionDays: ctx.config.devices.beaconRetentionDays, instanceId: ctx.instanceId, jobs: ctx.jobs },
    ctx.clock,
    ctx.log,
  );
  // Runs before the storage closes (src/main.ts closes listeners first): buffered beacons are written.
  app.addHook('onClose', async () => writer.close());
  app.post(
    '/api/beacon',
    {
      logLevel: HOT_ROUTE_LOG_LEVEL,
      bodyLimit: ctx.config.devices.beaconBodyLimitBytes,
      schema: { body: BeaconBody, response: { 200: Type.Object({ recorded: Type.Boolean(), hostname: Type.String(), upn: Type.String() }) } },
    },
    async (req) => {
      const beacon = normaliseBeacon(req.body, ctx.config.devices);
      // Buffered: written with others within ~100 ms (see beacon-writer.ts).
      writer.record(beacon, ctx.clock.now().toISOString());
      return { recorded: true, hostname: beacon.hostname, upn: beacon.upn };
    },
  );
}
