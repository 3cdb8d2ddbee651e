import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { OnrampContext } from '../context.js';
import { DAY_MS } from '../lib/clock.js';
import { DeviceSummaryAnswer, LoginsAnswer, PackagesAnswer } from './reports.schemas.js';
import { deviceSummary, loginsPerDay, packageDistribution } from './reports.queries.js';

// Query strings stay strings (the listeners do not coerce types): whole numbers as digit strings.
const Count = Type.String({ pattern: '^[1-9][0-9]{0,4}$' });
const Windows = Type.Object({ staleDays: Type.Optional(Count), bootDays: Type.Optional(Count) }, { additionalProperties: false });

/** Device telemetry reports on the public listener's admin API (viewer role). */
export async function deviceReportRoutes(parent: FastifyInstance, opts: { ctx: OnrampContext; guard: preHandlerAsyncHookHandler }): Promise<void> {
  const { ctx } = opts;
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('preHandler', opts.guard);
  const cutoffs = (q: { staleDays?: string; bootDays?: string }) => {
    const now = ctx.clock.now().getTime();
    const staleDays = Number(q.staleDays ?? 30);
    const bootDays = Number(q.bootDays ?? 14);
    return { staleDays, bootDays, seenBefore: new Date(now - staleDays * DAY_MS).toISOString(), bootBefore: new Date(now - bootDays * DAY_MS).toISOString() };
  };

  app.get(
    '/api/devices/reports/summary',
    {
      schema: {
        tags: ['devices'],
        summary: 'Devices, users, pending reboots, non-compliant, not seen, not rebooted',
        querystring: Windows,
        response: { 200: DeviceSummaryAnswer },
      },
    },
    async (req) => {
      const c = cutoffs(req.query);
      return { ...(await deviceSummary(ctx.storage.db, c.seenBefore, c.bootBefore)), staleDays: c.staleDays, bootDays: c.bootDays };
    },
  );

  app.get(
    '/api/devices/reports/logins',
    {
      schema: {
        tags: ['devices'],
        summary: 'Distinct logons per UTC day',
        querystring: Type.Object({ days: Type.Optional(Count) }, { additionalProperties: false }),
        response: { 200: LoginsAnswer },
      },
    },
    async (req) => {
      const since = new Date(ctx.clock.now().getTime() - Number(req.query.days ?? 30) * DAY_MS).toISOString().slice(0, 10);
      return { days: await loginsPerDay(ctx.storage.db, since) };
    },
  );

  app.get(
    '/api/devices/reports/packages',
    { schema: { tags: ['devices'], summary: 'Devices per version of each deployed package', response: { 200: PackagesAnswer } } },
    async () => ({ packages: await packageDistribution(ctx.storage.db) }),
  );
}
