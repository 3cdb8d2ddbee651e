import { useState } from 'react';
import type { DeviceChartsAnswer } from '../../../src/fleet/devices.schemas.ts';
import { useApi } from '../api/use-api.ts';
import { BarChart, DayLineChart } from '../shell/charts.tsx';
import { packageLabel } from './packages.ts';

const RANGES = [7, 30, 90] as const;

/** Every UTC day from `days` ago to today, with the logons of those that had any (the API lists only days with logons). */
function everyDay(logins: DeviceChartsAnswer['loginsPerDay'], days: number): { days: string[]; values: number[] } {
  const byDay = new Map(logins.map((d) => [d.day, d.logins]));
  const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) out.push(new Date(today - i * 86_400_000).toISOString().slice(0, 10));
  return { days: out, values: out.map((d) => byDay.get(d) ?? 0) };
}

/** Device charts: logons per day, time since the last boot, and which versions of each package devices run. */
export function DeviceCharts() {
  const [range, setRange] = useState<number>(30);
  const { data, error } = useApi<DeviceChartsAnswer>(`/api/fleet/devices/charts?days=${range}&top=5`);
  const logins = data && everyDay(data.loginsPerDay, range);
  return (
    <section aria-labelledby="device-charts-title">
      <h1 id="device-charts-title">Device charts</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="chart-head">
        <h2>Logons per day</h2>
        <label>
          Range
          <select value={range} onChange={(e) => setRange(Number(e.target.value))}>
            {RANGES.map((r) => (
              <option key={r} value={r}>
                Last {r} days
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="muted small">Distinct logons (device, user and the logon time the device reported in its beacons) per UTC day, from the beacon history.</p>
      {logins && (
        <DayLineChart
          days={logins.days}
          series={[{ key: 'logins', label: 'Logons', className: 's-invited', values: logins.values }]}
          unit="Logons"
          caption="Logons per day"
        />
      )}
      <h2>Time since the last boot</h2>
      {data && (
        <BarChart
          title="Devices by time since their last reported boot"
          bars={data.bootAge.map((b) => ({ label: b.label, value: b.devices }))}
          unit="Devices"
          category="Since last boot"
        />
      )}
      <h2>Package versions</h2>
      <p className="muted small">The five versions most devices run per package, and all others together; "(none)": the device reported no version.</p>
      <div className="chart-grid">
        {data?.packages.map((p) => (
          <BarChart
            key={p.package}
            title={`${packageLabel(p.package)}: devices per version`}
            bars={[
              ...p.versions.map((v) => ({ label: v.version === '' ? '(none)' : v.version, value: v.devices })),
              ...(p.other > 0 ? [{ label: 'other versions', value: p.other }] : []),
            ]}
            unit="Devices"
            category="Version"
          />
        ))}
      </div>
    </section>
  );
}
