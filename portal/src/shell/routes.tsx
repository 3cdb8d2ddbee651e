import { lazy, type ReactNode, Suspense } from 'react';
import { Addin } from '../addin/Addin.tsx';
import { Reports } from '../onboarding/Reports.tsx';
import { BrandingAssignments } from '../branding/Assignments.tsx';
import { BrandingFiles } from '../branding/Files.tsx';
import { Assets } from '../signatures/Assets.tsx';
import { Deployment } from '../signatures/Deployment.tsx';
import { Rules } from '../signatures/Rules.tsx';
import { Templates } from '../signatures/Templates.tsx';
import { Variables } from '../signatures/Variables.tsx';
import { UserPage, Users } from '../onboarding/Users.tsx';
import { ManualEntry, Upload } from '../onboarding/Upload.tsx';
import { AuditLog } from './AuditLog.tsx';
import { Settings } from './Settings.tsx';
import { Mailbox } from './Mailbox.tsx';
import { NotFound } from './NotFound.tsx';
import { Devices } from '../fleet/Devices.tsx';
import { DevicePage } from '../fleet/DevicePage.tsx';
import { DeviceCharts } from '../fleet/DeviceCharts.tsx';
import { Certificates } from '../fleet/Certificates.tsx';
import { DeviceAudit } from '../fleet/DeviceAudit.tsx';
import { MailboxSignatures, MailboxStates } from '../fleet/MailboxState.tsx';
import { PersonPage } from '../fleet/Person.tsx';

/** What a screen may depend on: the caller's role and what this instance offers. */
export interface Access {
  isAdmin: boolean;
  /** The demo's Mailbox exists (tenant simulator in-process). */
  mailbox: boolean;
}

export interface Route {
  /** A hash path (`#/users`), or a pattern whose groups are the screen's parameters (`#/users/12`). */
  path: string | RegExp;
  /** Shown in the sidebar, in this order; routes without a label are reached by links only. */
  label?: string;
  /** The page title's first part (the label when not given). */
  title?: string;
  /** Who may open it; others get the default screen. */
  allowed?: (access: Access) => boolean;
  render: (access: Access, params: string[]) => ReactNode;
}

const adminOnly = (a: Access) => a.isAdmin;

/** A path part as typed or linked; a malformed escape is taken as it is (the API then says it is no address). */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The template editor brings CodeMirror: loaded when first opened, so the other screens start without it. */
const TemplateEditor = lazy(() => import('../signatures/TemplateEditor.tsx').then((m) => ({ default: m.TemplateEditor })));

/** Every screen of the portal. A feature adds its screens here (its components live in its folder). */
export const ROUTES: Route[] = [
  { path: '/reports', label: 'Reports', render: (a) => <Reports isAdmin={a.isAdmin} /> },
  { path: '/users', label: 'Users', render: (a) => <Users isAdmin={a.isAdmin} /> },
  { path: /^\/users\/(\d+)$/, title: 'User', render: (a, [id]) => <UserPage id={id!} isAdmin={a.isAdmin} /> },
  { path: '/upload', label: 'Upload', allowed: adminOnly, render: () => <Upload /> },
  { path: '/manual', label: 'Manual entry', allowed: adminOnly, render: () => <ManualEntry /> },
  { path: '/signatures/templates', label: 'Signature templates', render: (a) => <Templates isAdmin={a.isAdmin} /> },
  {
    path: /^\/signatures\/templates\/(\d+|new)$/,
    render: (a, [id]) => (
      <Suspense fallback={<p>Loading the editor…</p>}>
        <TemplateEditor key={id} id={id!} isAdmin={a.isAdmin} />
      </Suspense>
    ),
  },
  { path: '/signatures/rules', label: 'Signature rules', render: (a) => <Rules isAdmin={a.isAdmin} /> },
  { path: '/signatures/variables', label: 'Signature variables', render: (a) => <Variables isAdmin={a.isAdmin} /> },
  { path: '/signatures/assets', label: 'Signature images', render: (a) => <Assets isAdmin={a.isAdmin} /> },
  { path: '/signatures/deployment', label: 'Signature deployment', render: (a) => <Deployment isAdmin={a.isAdmin} /> },
  { path: '/branding/files', label: 'Branding files', render: (a) => <BrandingFiles isAdmin={a.isAdmin} /> },
  { path: '/branding/assignments', label: 'Branding assignments', render: (a) => <BrandingAssignments isAdmin={a.isAdmin} /> },
  { path: '/fleet/devices', label: 'Devices', render: () => <Devices /> },
  {
    path: /^\/fleet\/devices\/([^/]+)\/([^/]+)$/,
    title: 'Device',
    render: (_a, [hostname, upn]) => <DevicePage key={`${hostname}/${upn}`} hostname={decodeURIComponent(hostname!)} upn={decodeURIComponent(upn!)} />,
  },
  { path: '/fleet/charts', label: 'Device charts', render: () => <DeviceCharts /> },
  { path: '/fleet/mailboxes', label: 'Signatures per mailbox', render: () => <MailboxStates /> },
  { path: /^\/fleet\/mailboxes\/([^/?]+)$/, title: 'Mailbox signatures', render: (_a, [m]) => <MailboxSignatures key={m} mailbox={decoded(m!)} /> },
  { path: /^\/people\/([^/?]+)$/, title: 'Person', render: (_a, [upn]) => <PersonPage key={upn} upn={decoded(upn!)} /> },
  { path: '/fleet/device-calls', label: 'Device calls', render: () => <DeviceAudit /> },
  { path: '/fleet/certificates', label: 'Certificates', render: () => <Certificates /> },
  { path: '/addin', label: 'Outlook add-in', render: () => <Addin /> },
  { path: '/audit', label: 'Audit log', render: () => <AuditLog /> },
  { path: '/settings', label: 'Settings', render: () => <Settings /> },
  { path: '/mailbox', label: 'Mailbox (demo)', allowed: (a) => a.isAdmin && a.mailbox, render: () => <Mailbox /> },
];

export const DEFAULT_PATH = '/reports';

/** The screen for a hash path (its query string already removed), with its title; "not found" when none matches or may be opened. */
export function screenFor(path: string, access: Access): { screen: ReactNode; title: string } {
  for (const route of ROUTES) {
    if (route.allowed && !route.allowed(access)) continue;
    const title = route.title ?? route.label ?? 'onramp';
    if (typeof route.path === 'string') {
      if (route.path === path) return { screen: route.render(access, []), title };
    } else {
      const match = route.path.exec(path);
      if (match) return { screen: route.render(access, match.slice(1)), title };
    }
  }
  return { screen: <NotFound path={path} home={DEFAULT_PATH} />, title: 'Not found' };
}

/** The sidebar: labelled routes the caller may open. */
export function navigation(access: Access): Array<{ path: string; label: string }> {
  return ROUTES.flatMap((r) => (typeof r.path === 'string' && r.label && (!r.allowed || r.allowed(access)) ? [{ path: r.path, label: r.label }] : []));
}
