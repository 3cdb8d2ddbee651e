/**
 * The portal's charts: plain SVG (the CSP allows no inline styles, so colours are classes), labelled
 * axes, a tooltip per mark (its SVG title), and the same figures as a table for screen readers and
 * anyone who wants the numbers. Screens pass figures; they draw nothing themselves.
 */

/** "2026-03-04" → "4 Mar" (UTC, as the days are). */
export function shortDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
}

/** Up to `count` evenly spaced values from 0 to max, whole numbers, max included. */
export function ticks(max: number, count = 4): number[] {
  const step = Math.max(1, Math.ceil(max / count));
  const out: number[] = [];
  for (let v = 0; v < max; v += step) out.push(v);
  out.push(max);
  return out;
}

export interface DaySeries {
  key: string;
  label: string;
  /** Colour class (styles.css), e.g. `s-invited`. */
  className: string;
  /** One value per day, in the days' order. */
  values: number[];
}

/** Series per UTC day as lines, with a legend (each series' total) and the table. */
export function DayLineChart({
  days,
  series,
  unit,
  caption,
  legendTotals = true,
}: {
  days: string[];
  series: DaySeries[];
  unit: string;
  caption: string;
  /** The legend sums each series (daily counts); off for running totals, whose sum means nothing. */
  legendTotals?: boolean;
}) {
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const W = 720,
    H = 260,
    left = 48,
    right = 16,
    top = 16,
    bottom = 48;
  const x = (i: number) => left + (i * (W - left - right)) / Math.max(1, days.length - 1);
  const y = (v: number) => H - bottom - (v * (H - top - bottom)) / max;
  const first = days[0] ?? '';
  const last = days[days.length - 1] ?? '';
  // About six day labels whatever the range.
  const dayStep = Math.max(1, Math.ceil(days.length / 6));
  const names = series.map((s) => s.label);
  const listed = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : (names[0] ?? '');
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${listed} per day from ${first} to ${last}; the figures are in the table below`}>
        {ticks(max).map((v) => (
          <g key={`y${v}`}>
            <line x1={left} y1={y(v)} x2={W - right} y2={y(v)} className="grid" />
            <text x={left - 6} y={y(v) + 4} textAnchor="end" className="tick">
              {v}
            </text>
          </g>
        ))}
        {days.map((d, i) =>
          i % dayStep === 0 || i === days.length - 1 ? (
            <text key={`x${d}`} x={x(i)} y={H - bottom + 16} textAnchor="middle" className="tick">
              {shortDay(d)}
            </text>
          ) : null,
        )}
        <line x1={left} y1={H - bottom} x2={W - right} y2={H - bottom} className="axis" />
        <line x1={left} y1={top} x2={left} y2={H - bottom} className="axis" />
        <text x={(left + W - right) / 2} y={H - 8} textAnchor="middle" className="axis-title">
          Day (UTC)
        </text>
        <text x={12} y={(top + H - bottom) / 2} textAnchor="middle" transform={`rotate(-90 12 ${(top + H - bottom) / 2})`} className="axis-title">
          {unit}
        </text>
        {series.map((s) => (
          <g key={s.key}>
            <polyline className={`series ${s.className}`} points={s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')} />
            {s.values.map((v, i) => (
              <circle key={days[i]!} cx={x(i)} cy={y(v)} r={days.length > 90 ? 2 : 3.5} className={`point ${s.className}`}>
                <title>
                  {days[i]!}: {s.label} {v}
                </title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <figcaption className="legend">
        {series.map((s) => (
          <span key={s.key}>
            <span className={`swatch ${s.className}`} aria-hidden="true" /> {s.label}
            {legendTotals && ` (${s.values.reduce((a, b) => a + b, 0).toLocaleString()})`}
          </span>
        ))}
      </figcaption>
      <details className="chart-data">
        <summary>The figures as a table</summary>
        <div className="table-wrap">
          <table className="data compact">
            <caption>
              {caption}, {first} to {last} (UTC)
            </caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {series.map((s) => (
                  <th key={s.key} scope="col" className="num">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {days.map((d, i) => (
                <tr key={d}>
                  <th scope="row">{d}</th>
                  {series.map((s) => (
                    <td key={s.key} className="num">
                      {(s.values[i] ?? 0).toLocaleString()}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/** Horizontal bars, one per category, each labelled with its value; the table has the same figures. */
export function BarChart({ title, bars, unit, category }: { title: string; bars: Array<{ label: string; value: number }>; unit: string; category: string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const total = bars.reduce((a, b) => a + b.value, 0);
  const W = 560,
    left = 170,
    right = 70,
    row = 26,
    top = 8;
  const H = top + bars.length * row + 8;
  const width = (v: number) => ((W - left - right) * v) / max;
  return (
    <figure className="chart">
      <figcaption className="chart-title">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}: ${unit} per ${category}; the figures are in the table below`}>
        {bars.map((b, i) => (
          <g key={b.label}>
            <text x={left - 8} y={top + i * row + 17} textAnchor="end" className="tick">
              {b.label.length > 26 ? `${b.label.slice(0, 25)}…` : b.label}
            </text>
            <rect x={left} y={top + i * row + 4} width={Math.max(b.value > 0 ? 2 : 0, width(b.value))} height={row - 8} className="bar-mark">
              <title>
                {b.label}: {b.value.toLocaleString()} {unit}
              </title>
            </rect>
            <text x={left + width(b.value) + 6} y={top + i * row + 17} className="tick">
              {b.value.toLocaleString()}
            </text>
          </g>
        ))}
        <line x1={left} y1={top} x2={left} y2={H - 8} className="axis" />
      </svg>
      <details className="chart-data">
        <summary>The figures as a table</summary>
        <div className="table-wrap">
          <table className="data compact">
            <caption>{title}</caption>
            <thead>
              <tr>
                <th scope="col">{category}</th>
                <th scope="col" className="num">
                  {unit}
                </th>
                <th scope="col" className="num">
                  Share
                </th>
              </tr>
            </thead>
            <tbody>
              {bars.map((b) => (
                <tr key={b.label}>
                  <th scope="row">{b.label}</th>
                  <td className="num">{b.value.toLocaleString()}</td>
                  <td className="num">{total === 0 ? '–' : `${Math.round((100 * b.value) / total)}%`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
