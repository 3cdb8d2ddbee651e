import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, setCsrfToken, type SessionInfo, type SignedIn } from '../api/client.ts';

/**
 * Where single sign-on sends an account that signed in but holds neither onramp role: what happened,
 * what to do (ask an admin for the role), and the ways on (another account, back to sign-in).
 */
function NoRole({ session, onBack }: { session: SessionInfo; onBack: () => void }) {
  return (
    <main className="centered">
      <div className="card signin">
        <h1>No access to onramp yet</h1>
        <p>
          You signed in with Microsoft, but your account has no role in onramp. Ask an onramp administrator to give your account the{' '}
          <strong>Onramp.Admin</strong> or <strong>Onramp.Viewer</strong> role (in Entra ID: Enterprise applications → onramp → Users and groups), then sign in
          again.
        </p>
        <p className="actions">
          {session.methods.oidc && (
            <a className="button primary" href="/api/auth/oidc/login">
              Sign in with another account
            </a>
          )}
          <button type="button" onClick={onBack}>
            Back to sign-in
          </button>
        </p>
      </div>
    </main>
  );
}

export function SignIn({ session, onSignedIn }: { session: SessionInfo; onSignedIn: () => Promise<void> }) {
  const [notice, setNotice] = useState(() => new URLSearchParams(window.location.search).get('signin'));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [setupCode, setSetupCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const setup = session.setupRequired;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await api<SignedIn>(setup ? '/api/auth/setup' : '/api/auth/login', {
        method: 'POST',
        body: setup ? { username, password, setupCode } : { username, password },
      });
      setCsrfToken(res.csrfToken);
      await onSignedIn();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Sign-in failed');
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    document.title = notice === 'no-role' ? 'No access - onramp' : 'Sign in - onramp';
  }, [notice]);
  if (notice === 'no-role')
    return (
      <NoRole
        session={session}
        onBack={() => {
          window.history.replaceState(null, '', '/');
          setNotice(null);
        }}
      />
    );

  return (
    <main className="centered">
      <div className="card signin">
        <h1>onramp</h1>
        <p className="muted">MFA onboarding for Microsoft 365 — admin portal</p>
        {session.methods.oidc && (
          <p>
            <a className="button primary wide" href="/api/auth/oidc/login">
              Sign in with Microsoft
            </a>
          </p>
        )}
        {session.methods.oidc && session.demo && (
          <p className="note">
            Demo: "Sign in with Microsoft" goes to the simulated tenant. Pick the account marked Onramp.Admin (or Onramp.Viewer for read-only).
          </p>
        )}
        {session.methods.local && (
          <form onSubmit={(e) => void submit(e)} aria-label={setup ? 'First-run setup' : 'Local admin sign-in'}>
            {setup && (
              <p className="note">
                No admin exists yet. Choose a user name and a password (12 characters or more). The setup code is printed by <code>onramp serve</code> and in
                its log.
              </p>
            )}
            {session.methods.oidc && <p className="muted divider">or, as the local admin</p>}
            <label>
              User name
              <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
            </label>
            <label>
              Password
              <input
                name="password"
                type="password"
                autoComplete={setup ? 'new-password' : 'current-password'}
                required
                minLength={setup ? 12 : 1}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
            {setup && (
              <label>
                Setup code
                <input name="setupCode" required value={setupCode} onChange={(e) => setSetupCode(e.target.value)} />
              </label>
            )}
            {error && (
              <p role="alert" className="error">
                {error}
              </p>
            )}
            <button type="submit" className="primary" disabled={busy}>
              {setup ? 'Create admin and sign in' : 'Sign in'}
            </button>
          </form>
        )}
      </div>
    </main>
  );
}
