// The per-run credential check. Used when a listener is reachable by other local processes
// (host network), so that only the run's own command can use its proxies.

import type { ProxyContext } from './context';

/** Compare without an early exit, so timing does not leak how much of a guess was right. */
function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  const n = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export function credentialMatches(ctx: ProxyContext, username: string, password: string): boolean {
  const c = ctx.credential;
  if (!c) return true;
  // Both compared always, same reason as above.
  const user = sameSecret(username, c.username);
  const pass = sameSecret(password, c.password);
  return user && pass;
}

/** A `Proxy-Authorization` header value: `Basic base64(user:pass)`. */
export function basicAuthMatches(ctx: ProxyContext, header: string | undefined): boolean {
  if (!ctx.credential) return true;
  if (!header) return false;
  const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return false;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  return credentialMatches(ctx, decoded.slice(0, colon), decoded.slice(colon + 1));
}
