import { useCallback, useEffect, useState } from 'react';
import { api, setCsrfToken, type SessionInfo } from '../api/client.ts';
import { SignIn } from './SignIn.tsx';
import { DEFAULT_PATH, navigation, screenFor } from './routes.tsx';

/** Hash routes (#/users/12) so the server needs only one HTML entry point. */
function useRoute(): string {
  const [route, setRoute] = useState(() => window.location.hash.slice(1) || DEFAULT_PATH);
  useEffect(() => {
    const onChange = () => setRoute(window.location.hash.slice(1) || DEFAULT_PATH);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

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

  if (error)
    return (
      <main className="centered">
        <p role="alert">Cannot reach onramp: {error}</p>
      </main>
    );
  if (!session)
    return (
      <main className="centered">
        <p>Loading…</p>
      </main>
    );
  if (!session.signedIn || !session.user) return <SignIn session={session} onSignedIn={refresh} />;

  const access = { isAdmin: session.user.role === 'admin', mailbox: session.mailbox };
  const signOut = async () => {
    await api('/api/auth/logout', { method: 'POST' });
    window.location.hash = '';
    await refresh();
  };
  const path = route.split('?')[0]!;

  return (
    <div className="layout">
      {/* biome-ignore lint/a11y/useValidAnchor: with hash routes the link's default jump would change the route; it moves focus instead */}
      <a
        className="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href={`#${DEFAULT_PATH}`}>
          onramp
        </a>
        <span className="who">
          {session.user.displayName} <span className={`badge role-${session.user.role}`}>{session.user.role}</span>
          {session.demo && <span className="badge demo">demo</span>}
        </span>
        <button type="button" className="link" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          {navigation(access).map((n) => (
            <li key={n.path}>
              <a href={`#${n.path}`} aria-current={path.startsWith(n.path) ? 'page' : undefined}>
                {n.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content" id="main" tabIndex={-1}>
        {screenFor(path, access)}
      </main>
    </div>
  );
}
