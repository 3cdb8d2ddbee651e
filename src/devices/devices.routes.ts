import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { OnrampContext } from '../context.js';
import { BeaconBody, normaliseBeacon } from './beacon.js';
import { recordBeacon } from './devices.queries.js';

/** Device telemetry routes on the device listener (behind the gateway's hooks). */
export async function deviceTelemetryRoutes(parent: FastifyInstance, opts: { ctx: OnrampContext }): Promise<void> {
  const { ctx } = opts;
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/api/beacon',
    {
      bodyLimit: ctx.config.devices.beaconBodyLimitBytes,
      schema: { body: BeaconBody, response: { 200: Type.Object({ recorded: Type.Boolean(), hostname: Type.String(), upn: Type.String() }) } },
    },
    async (req) => {
      const beacon = normaliseBeacon(req.body, ctx.config.devices);
      await recordBeacon(ctx.storage.db, beacon, ctx.clock.now().toISOString());
      return { recorded: true, hostname: beacon.hostname, upn: beacon.upn };
    },
  );
}
