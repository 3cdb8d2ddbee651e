/**
 * Scenario 8: signature rendering (issue 18). One realistic template (a table layout with a logo,
 * the person's photo, ten placeholders and two conditional lines) rendered in all four formats (web
 * HTML, HTM with its files, RTF, text) for 10,000 different subjects, each with a photo of its own,
 * on one core (this process, synchronously). Baseline: Liquid's bare render of the same compiled
 * template for the same subjects (the HTML string only), so the figure shows what the four outputs
 * and the allow-list pass add to the engine.
 */
import { createHash } from 'node:crypto';
import type { SignatureImage, SignatureSubject } from '../../src/signatures/model.js';
import { Liquid } from 'liquidjs';
import { compileTemplate } from '../../src/signatures/template/compile.js';
import { dateFilter, formatPhone } from '../../src/signatures/template/filters.js';
import { type RenderOptions, renderSignature } from '../../src/signatures/template/render.js';
import { figure, median, type Figure } from '../harness.js';
import type { ScenarioContext } from './context.js';

export const BENCH_TEMPLATE = `<table cellpadding="0" cellspacing="0" style="border-collapse:collapse;font-family:Segoe UI, Arial, sans-serif;font-size:10pt;color:#333333">
  <tr>
    <td valign="top" style="padding-right:12px"><img src="{{ photo.user }}" width="72" height="72" alt="{{ user.displayName }}"></td>
    <td valign="top">
      <b style="font-size:11pt;color:#0078d4">{{ user.displayName }}</b> <span style="color:#888888">{{ var.pronouns }}</span><br>
      {{ user.jobTitle }} · {{ user.department }}<br>
      <span data-onramp-if="user.mobilePhone">Mobile: <a href="tel:{{ user.mobilePhone | phone: "e164" }}">{{ user.mobilePhone | phone }}</a><br></span>
      {% if user.businessPhone %}Phone: {{ user.businessPhone | phone }}<br>{% endif %}
      <a href="mailto:{{ user.mail }}" style="color:#0078d4">{{ user.mail }}</a><br>
      {{ user.companyName }} · {{ user.streetAddress }}, {{ user.postalCode }} {{ user.city }}
    </td>
  </tr>
  <tr><td colspan="2" style="padding-top:8px"><img src="asset:logo" width="160" height="40" alt="Contoso"></td></tr>
</table>`;

function image(seed: string, bytes: number): SignatureImage {
  const header = Buffer.from('89504e470d0a1a0a0000000d494844520000004800000048', 'hex');
  const body = Buffer.alloc(bytes - header.length);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + seed.charCodeAt(i % seed.length)) & 0xff;
  const all = Buffer.concat([header, body]);
  return { hash: createHash('sha256').update(all).digest('hex'), contentType: 'image/png', bytes: all, width: 72, height: 72 };
}

/** Different people: names with umlauts and accents, every third without a mobile, every fifth without a desk phone. */
export function benchSubjects(count: number): SignatureSubject[] {
  const first = ['Jürgen', 'Amélie', 'Søren', 'Ana', 'Zoë', 'Björn', 'Łucja', 'Ömer', 'Chloé', 'Nuño'];
  const last = ['Müller', 'Lefèvre', 'Ødegård', 'García', 'Nguyễn', 'Schröder', 'Wójcik', 'Yılmaz', 'Dubois', 'Peña'];
  return Array.from({ length: count }, (_, i) => {
    const name = `${first[i % 10]} ${last[Math.floor(i / 10) % 10]} ${i}`;
    const user = {
      displayName: name,
      jobTitle: ['Engineer', 'Account Manager', 'Head of R&D', 'Consultant'][i % 4],
      department: ['Research', 'Sales', 'Finance', 'Operations'][i % 4],
      mobilePhone: i % 3 === 0 ? null : `+49 (0)170 ${String(1_000_000 + i)}`,
      businessPhone: i % 5 === 0 ? null : `+49 89 ${String(20_000 + i)}-0`,
      mail: `user${i}@contoso.example`,
      companyName: 'Contoso GmbH',
      streetAddress: 'Hauptstraße 1',
      postalCode: '80331',
      city: 'München',
    };
    return { user, manager: null, mailbox: user, mailboxManager: null, variables: { pronouns: i % 2 ? 'he/him' : '' }, photos: { user: image(`p${i}`, 4096) } };
  });
}

export async function signatureRenderingScenario(ctx: ScenarioContext): Promise<Figure[]> {
  return renderingFigures(ctx.sizes.quick ? 1_000 : 10_000, ctx.sizes.repeats);
}

export function renderingFigures(count: number, repeats: number): Figure[] {
  const logo = image('logo', 6_000);
  const compiled = compileTemplate(BENCH_TEMPLATE, { limits: { maxBytes: 153_600, maxNestingDepth: 48, maxElements: 5_000 }, assets: { logo: logo.hash } });
  if (!compiled.ok) throw new Error(`the bench template does not compile: ${JSON.stringify(compiled.problems)}`);
  const subjects = benchSubjects(count);
  const bareLiquid = new Liquid({ outputEscape: 'escape', jsTruthy: true });
  bareLiquid.registerFilter('phone', formatPhone);
  bareLiquid.registerFilter('date', dateFilter);
  const bareTemplate = bareLiquid.parse(compiled.template.liquidSource);
  const options: RenderOptions = { name: 'Contoso', now: new Date('2026-12-04T09:00:00Z'), timeZone: 'Europe/Berlin', assets: () => logo };
  // Warm-up: the JIT, the style cache.
  for (const s of subjects.slice(0, 500)) renderSignature(compiled.template, s, options);

  // Per core: the process's CPU time, not the wall clock, so other work on the machine does not count.
  const perSecond = (run: (s: SignatureSubject) => unknown): number => {
    const started = process.cpuUsage();
    for (const s of subjects) run(s);
    const used = process.cpuUsage(started);
    return subjects.length / ((used.user + used.system) / 1e6);
  };
  const bare: number[] = [];
  const full: number[] = [];
  let bytes = 0;
  for (let r = 0; r < repeats; r++) {
    bare.push(perSecond((s) => bareLiquid.renderSync(bareTemplate, { user: s.user, var: s.variables, photo: { user: 'onramp-photo:user' } })));
    full.push(
      perSecond((s) => {
        const out = renderSignature(compiled.template, s, options);
        bytes = out.webHtml.length + out.htm.length + out.rtf.length + out.txt.length;
      }),
    );
  }
  const baseline = median(bare);
  return [
    figure('8 signature rendering', "baseline: Liquid's bare render of the same template (HTML string only), one core", 'signatures/s', bare, null, null),
    figure(
      '8 signature rendering',
      `all four formats (web HTML, HTM + files, RTF, text) of one template for ${count.toLocaleString('en-US')} different subjects, one core`,
      'signatures/s',
      full,
      { op: '>=', value: 20_000 },
      { name: 'bare Liquid render', value: baseline },
      `logo + 4 KB photo each, 10 placeholders, 2 conditionals; ${bytes.toLocaleString('en-US')} characters of output per signature`,
    ),
  ];
}
