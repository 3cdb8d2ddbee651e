import { useCallback, useEffect, useState } from 'react';
import { api, setCsrfToken, type SessionInfo } from './api.ts';
import { SignIn } from './SignIn.tsx';
import { Reports } from './Reports.tsx';
import { Users, UserPage } from './Users.tsx';
import { Upload, ManualEntry } from './Upload.tsx';
import { AuditLog, Settings } from './Admin.tsx';
import { Mailbox } from './Mailbox.tsx';

/** Hash routes (#/users/12) so the server needs only one HTML entry point. */
function useRoute(): string {
  const [route, setRoute] = useState(() => window.location.hash.slice(1) || '/reports');
  useEffect(() => {
    const onChange = () => setRoute(window.location.hash.slice(1) || '/reports');
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

const NAV: Array<{ path: string; label: string; adminOnly?: boolean; mailboxOnly?: boolean }> = [
  { path: '/reports', label: 'Reports' },
  { path: '/users', label: 'Users' },
  { path: '/upload', label: 'Upload', adminOnly: true },
  { path: '/manual', label: 'Manual entry', adminOnly: true },
  { path: '/audit', label: 'Audit log' },
  { path: '/settings', label: 'Settings' },
  { path: '/mailbox', label: 'Mailbox (demo)', adminOnly: true, mailboxOnly: true },
];

export function App() {
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const route = useRoute();

  const refresh = useCallback(async () => {
    try {
      const s = await api<SessionInfo>('/api/auth/session');
      setCsrfToken(s.csrfToken);
      setSession(s);
    } catch (err) {
      setError((err as Error).message);
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);

  if (error) return <main className="centered"><p role="alert">Cannot reach onramp: {error}</p></main>;
  if (!session) return <main className="centered"><p>Loading…</p></main>;
  if (!session.signedIn || !session.user) return <SignIn session={session} onSignedIn={refresh} />;

  const isAdmin = session.user.role === 'admin';
  const signOut = async () => {
    await api('/api/auth/logout', { method: 'POST' });
    window.location.hash = '';
    await refresh();
  };
  const path = route.split('?')[0]!;
  const userMatch = /^\/users\/(\d+)$/.exec(path);
  let screen;
  if (userMatch) screen = <UserPage id={userMatch[1]!} isAdmin={isAdmin} />;
  else if (path === '/users') screen = <Users />;
  else if (path === '/upload' && isAdmin) screen = <Upload />;
  else if (path === '/manual' && isAdmin) screen = <ManualEntry />;
  else if (path === '/audit') screen = <AuditLog />;
  else if (path === '/settings') screen = <Settings />;
  else if (path === '/mailbox' && isAdmin && session.mailbox) screen = <Mailbox />;
  else screen = <Reports isAdmin={isAdmin} />;

  return (
    <div className="layout">
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header className="topbar">
        <a className="brand" href="#/reports">onramp</a>
        <span className="who">
          {session.user.displayName} <span className={`badge role-${session.user.role}`}>{session.user.role}</span>
          {session.demo && <span className="badge demo">demo</span>}
        </span>
        <button type="button" className="link" onClick={() => void signOut()}>Sign out</button>
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          {NAV.filter((n) => (isAdmin || !n.adminOnly) && (session.mailbox || !n.mailboxOnly)).map((n) => (
            <li key={n.path}>
              <a href={`#${n.path}`} aria-current={path.startsWith(n.path) ? 'page' : undefined}>{n.label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content" id="main" tabIndex={-1}>{screen}</main>
    </div>
  );
}
