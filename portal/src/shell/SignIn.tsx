import { useState, type FormEvent } from 'react';
import { api, ApiError, setCsrfToken, type SessionInfo, type SignedIn } from '../api/client.ts';

export function SignIn({ session, onSignedIn }: { session: SessionInfo; onSignedIn: () => Promise<void> }) {
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
