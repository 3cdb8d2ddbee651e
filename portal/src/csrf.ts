/** The session's CSRF token, held in memory only (never in storage a script of another page could read). */
let token: string | null = null;
export function setCsrfToken(value: string | null): void {
  token = value;
}
export function getCsrfToken(): string | null {
  return token;
}
