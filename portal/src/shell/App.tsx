import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { api, setCsrfToken, type SessionInfo } from '../api/client.ts';
import { SignIn } from './SignIn.tsx';
import { DEFAULT_PATH, navigation, screenFor } from './routes.tsx';

/** The route in the address's hash; none (or just `#/`) is the default screen. */
function currentRoute(): string {
  const route = window.location.hash.slice(1);
  return route === '' || route === '/' ? DEFAULT_PATH : route;
}

/** Hash routes (#/users/12) so the server needs only one HTML entry point. */
function useRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/**
 * After moving to another screen, focus goes to its heading (or the content while it loads), so a
 * screen reader announces where the user arrived and Tab continues from there. The first screen
 * after signing in is left alone: Tab starts at the skip link as on any page.
 */
function useScreenFocus(path: string, signedIn: boolean): void {
  const shown = useRef<string | null>(null);
  useEffect(() => {
    if (!signedIn) return;
    const previous = shown.current;
    shown.current = path;
    if (previous === null || previous === path) return;
    const frame = requestAnimationFrame(() => {
      const heading = document.querySelector<HTMLElement>('#main h1');
      const target = heading ?? document.getElementById('main');
      if (!target) return;
      if (heading && !heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
      target.focus();
    });
    return () => cancelAnimationFrame(frame);
  }, [path, signedIn]);
}

/** A screen with its page title (`Users - onramp`), so tabs, history and screen readers name it. */
function Titled({ title, children }: { title: string; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} - onramp`;
  }, [title]);
  return children;
}

export function App() {
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const route = useRoute();
  const path = route.split('?')[0]!;
  useScreenFocus(path, session?.user !== undefined && session?.user !== null);

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
  const { screen, title } = screenFor(path, access);

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
        <Titled title={title}>{screen}</Titled>
      </main>
    </div>
  );
}
