import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { OnrampContext } from '../context.js';
import { OnrampError } from '../errors.js';
import { bounded, CountText } from '../http/query-text.js';
import { csvCell } from '../lib/csv.js';
import { DAY_MS } from '../lib/clock.js';
import { DEVICE_SORT_COLUMNS, DeviceList, deviceCharts, type DeviceListFilter, type DeviceView } from '../devices/device-list.js';
import { PACKAGE_VERSIONS, type PackageField } from '../devices/packages.js';
import { BeaconsPage, DeviceChartsAnswer, DeviceDetail, DeviceFilterChoices, DevicesPage } from './devices.schemas.js';
import { servedVersionsRelation } from '../branding/served-versions.js';

export interface FleetDevicesOptions {
  /** From src/auth (`requireRole('viewer')`): the fleet view only reads. */
  viewerGuard: preHandlerAsyncHookHandler;
  /** Writes the admin audit log (src/auth `recordAudit`): exports are recorded, as onboarding's are. */
  audit: (req: FastifyRequest, action: string, target: string | null, details?: unknown) => Promise<void>;
  /** Whether the caller is an admin: viewers see locations only when `fleet.viewersSeePersonalDetails` allows. */
  isAdmin: (req: FastifyRequest) => boolean;
}

const Flag = Type.Literal('true');
const Days = (what: string) => CountText(`${what}, in days (1-3660)`);

/** The list's filters; the list and the CSV export take the same ones. */
const FilterQuery = {
  staleDays: Type.Optional(Days('Not seen for at least')),
  notRebootedDays: Type.Optional(Days('Not rebooted for at least')),
  nonCompliant: Type.Optional(Flag),
  pendingReboot: Type.Optional(Flag),
  outOfDate: Type.Optional(Flag),
  os: Type.Optional(Type.String({ maxLength: 256, description: 'Operating system, exactly as reported' })),
  model: Type.Optional(Type.String({ maxLength: 256, description: 'Device model, exactly as reported' })),
  search: Type.Optional(Type.String({ maxLength: 256, description: 'Start of the host name or of the UPN' })),
};
const ListQuery = Type.Object(
  {
    ...FilterQuery,
    sort: Type.Optional(Type.Union(DEVICE_SORT_COLUMNS.map((c) => Type.Literal(c)))),
    desc: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    offset: Type.Optional(CountText('Rows to skip')),
    limit: Type.Optional(CountText('Rows per page, 1-500 (default 50)')),
  },
  { additionalProperties: false },
);
const ExportQuery = Type.Object(FilterQuery, { additionalProperties: false });
const DeviceParams = Type.Object({
  hostname: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
  upn: Type.String({ minLength: 3, maxLength: 256 }),
});
const PageQuery = Type.Object(
  { offset: Type.Optional(CountText('Rows to skip')), limit: Type.Optional(CountText('Rows per page, 1-500 (default 50)')) },
  { additionalProperties: false },
);
const ChartsQuery = Type.Object(
  {
    days: Type.Optional(CountText('Days of logons, 1-366 (default 30)')),
    top: Type.Optional(CountText('Versions shown per package before "other", 1-20 (default 5)')),
  },
  { additionalProperties: false },
);

/** For the OpenAPI document only: the export is a stream, sent as it is (no serialiser runs). */
const CsvAnswer = {
  content: { 'text/csv': { schema: { type: 'string', description: 'UTF-8 with a byte-order mark (for Excel), RFC 4180, CRLF line ends' } } },
};

const PACKAGE_FIELDS = Object.keys(PACKAGE_VERSIONS) as PackageField[];

function csvColumns(withLocation: boolean): string[] {
  return [
    'hostname',
    'upn',
    'operating_system',
    'device_model',
    'last_seen_at',
    'first_seen_at',
    'last_logon_time',
    'system_boot_time',
    'pending_reboot',
    'compliant',
    'out_of_date',
    'served_manifest_version',
    'served_at',
    ...PACKAGE_FIELDS.flatMap((f) => [PACKAGE_VERSIONS[f], `expected_${PACKAGE_VERSIONS[f]}`]),
    ...(withLocation ? ['location'] : []),
  ];
}

function csvLine(d: DeviceView, withLocation: boolean): string {
  const flag = (b: boolean) => (b ? 1 : 0);
  const cells: Array<string | number | null> = [
    d.hostname,
    d.upn,
    d.operatingSystem,
    d.deviceModel,
    d.lastSeenAt,
    d.firstSeenAt,
    d.lastLogonAt,
    d.lastBootAt,
    flag(d.pendingReboot),
    flag(d.compliant),
    flag(d.outOfDate),
    d.servedManifestVersion,
    d.servedAt,
    ...d.packages.flatMap((p) => [p.applied, p.expected]),
    ...(withLocation ? [d.location ?? null] : []),
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** UTF-8's byte-order mark first (Excel reads the file in the local code page without it), the header, then a line per device. */
async function* csvOf(devices: AsyncIterable<DeviceView>, withLocation: boolean): AsyncGenerator<string> {
  yield `\ufeff${csvColumns(withLocation).join(',')}\r\n`;
  for await (const d of devices) yield csvLine(d, withLocation);
}

/**
 * The fleet view's device routes on the public listener (viewer role): the list with filters, search,
 * sort and paging; its CSV export, streamed; a device with its beacon history; the charts' figures.
 */
export async function registerFleetDevices(parent: FastifyInstance, ctx: OnrampContext, options: FleetDevicesOptions): Promise<void> {
  await parent.register(async (scope) => {
    const app = scope.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('preHandler', options.viewerGuard);
    // "Expected" = what branding last served each device (its served-manifest record).
    const list = new DeviceList(ctx.storage.db, servedVersionsRelation);
    // Locations exist only when devices.storeLocation is on; when it is off, none are shown, even ones kept
    // before. Viewers see them only when fleet.viewersSeePersonalDetails allows, as on the person page.
    const readFor = (req: FastifyRequest) => ({
      withLocation: ctx.config.devices.storeLocation && (options.isAdmin(req) || ctx.config.fleet.viewersSeePersonalDetails),
    });
    const filterOf = (q: { [K in keyof typeof FilterQuery]?: string }): DeviceListFilter => {
      const now = ctx.clock.now().getTime();
      const before = (days: string | undefined) => (days === undefined ? undefined : new Date(now - bounded(days, 0, 1, 3660) * DAY_MS).toISOString());
      return {
        seenBefore: before(q.staleDays),
        bootedBefore: before(q.notRebootedDays),
        nonCompliant: q.nonCompliant === 'true',
        pendingReboot: q.pendingReboot === 'true',
        outOfDate: q.outOfDate === 'true',
        operatingSystem: q.os,
        deviceModel: q.model,
        search: q.search?.trim().toLowerCase() || undefined,
      };
    };

    app.get(
      '/api/fleet/devices',
      {
        schema: {
          tags: ['fleet'],
          summary: 'Devices (latest state per host name and user) with applied vs expected package versions: filtered, sorted and paged on the server',
          querystring: ListQuery,
          response: { 200: DevicesPage },
        },
      },
      async (req) => {
        const q = req.query;
        const page = {
          offset: bounded(q.offset, 0, 0, 100_000_000),
          limit: bounded(q.limit, 50, 1, 500),
          sort: q.sort ?? 'hostname',
          descending: q.desc === 'true',
        };
        const { total, devices } = await list.page(filterOf(q), page, readFor(req));
        return { total, offset: page.offset, limit: page.limit, devices };
      },
    );

    app.get(
      '/api/fleet/devices/filters',
      { schema: { tags: ['fleet'], summary: 'Operating systems and models the devices reported, for the filters', response: { 200: DeviceFilterChoices } } },
      async (req) => ({ ...(await list.facets()), locationStored: readFor(req).withLocation }),
    );

    app.get(
      '/api/fleet/devices/export.csv',
      {
        schema: {
          tags: ['fleet'],
          summary: 'CSV of the devices the filters select, in host name order (streamed; formulas neutralised)',
          querystring: ExportQuery,
          response: { 200: CsvAnswer },
        },
      },
      async (req, reply) => {
        await options.audit(req, 'devices.export', null, req.query);
        reply.header('content-type', 'text/csv; charset=utf-8');
        reply.header('content-disposition', `attachment; filename="devices-${ctx.clock.now().toISOString().slice(0, 10)}.csv"`);
        reply.header('cache-control', 'no-store');
        const read = readFor(req);
        return reply.send(Readable.from(csvOf(list.all(filterOf(req.query), read), read.withLocation)));
      },
    );

    app.get(
      '/api/fleet/devices/charts',
      {
        schema: {
          tags: ['fleet'],
          summary: 'Logons per day, boot age, the most common versions per package',
          querystring: ChartsQuery,
          response: { 200: DeviceChartsAnswer },
        },
      },
      async (req) => deviceCharts(ctx.storage.db, ctx.clock.now(), bounded(req.query.days, 30, 1, 366), bounded(req.query.top, 5, 1, 20)),
    );

    const deviceOf = async (params: { hostname: string; upn: string }, req: FastifyRequest) => {
      const hostname = params.hostname.toLowerCase();
      const upn = params.upn.trim().toLowerCase();
      const device = await list.device(hostname, upn, readFor(req));
      if (!device) throw new OnrampError('ONRAMP_ERR_DEVICE_NOT_FOUND', [hostname, upn]);
      return device;
    };

    app.get(
      '/api/fleet/devices/:hostname/:upn',
      {
        schema: {
          tags: ['fleet'],
          summary: "A device's latest state, with each package's applied and expected version",
          params: DeviceParams,
          response: { 200: DeviceDetail },
        },
      },
      async (req) => ({ device: await deviceOf(req.params, req) }),
    );

    app.get(
      '/api/fleet/devices/:hostname/:upn/beacons',
      {
        schema: {
          tags: ['fleet'],
          summary: "A device's beacons, newest first, paged",
          params: DeviceParams,
          querystring: PageQuery,
          response: { 200: BeaconsPage },
        },
      },
      async (req) => {
        const device = await deviceOf(req.params, req);
        const offset = bounded(req.query.offset, 0, 0, 100_000_000);
        const limit = bounded(req.query.limit, 50, 1, 500);
        return { offset, limit, ...(await list.history(device.hostname, device.upn, offset, limit, readFor(req))) };
      },
    );
  });
}
