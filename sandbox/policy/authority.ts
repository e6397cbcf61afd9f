// Splitting an authority (`host:port`, `[v6]:port`) into its raw host and a strict port.
// The host stays raw: canonicalizeHost is the one place that decides what it means.
import type { HostProblem } from './host';

/**
 * A port as text: decimal digits only, no sign, no leading zero, 1-65535. Returns the number or
 * null. Strict so that one port has one spelling in entries and records.
 */
export function parsePort(text: string): number | null {
  if (!/^[1-9][0-9]{0,4}$/.test(text)) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

/** `host:port`, with an IPv6 host (or CIDR) in brackets: the one way this package writes a target. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The raw parts of `host:port`, `[v6]:port`, `[v6]` or `host`: the host without its brackets, the
 * port's text if there is one, and how the host was written. Several colons without brackets is
 * an IPv6 host with no port (`bareIPv6`); whether that is allowed is the caller's to say. The
 * one split of an authority: targets (splitHostPort) and allow entries (entry.ts) both use it.
 */
export type AuthorityParts =
  | { host: string; portText?: string; bracketed: boolean; bareIPv6: boolean }
  | { unclosed: true }
  | { afterBracket: string };

export function authorityParts(text: string): AuthorityParts {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { unclosed: true };
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return { afterBracket: rest };
    return { host: text.slice(1, close), ...(rest !== '' && { portText: rest.slice(1) }), bracketed: true, bareIPv6: false };
  }
  const colons = text.split(':').length - 1;
  if (colons > 1) return { host: text, bracketed: false, bareIPv6: true };
  if (colons === 1) {
    const at = text.indexOf(':');
    return { host: text.slice(0, at), portText: text.slice(at + 1), bracketed: false, bareIPv6: false };
  }
  return { host: text, bracketed: false, bareIPv6: false };
}

/** `host:port`, `[v6]:port`, `[v6]` or `host` (the last two need defaultPort). */
export function splitHostPort(authority: string, defaultPort?: number): { host: string; port: number } | HostProblem {
  if (typeof authority !== 'string' || authority === '') return { problem: 'the authority is empty' };
  const parts = authorityParts(authority);
  if ('unclosed' in parts) return { problem: `'${authority}' opens a bracket it does not close` };
  if ('afterBracket' in parts) return { problem: `'${authority}' has '${parts.afterBracket}' after the bracketed address; write [address]:port` };
  if (parts.bareIPv6) return { problem: `'${authority}' looks like an IPv6 address without brackets; write [address]:port` };
  const { host, portText } = parts;
  if (host === '') return { problem: `'${authority}' has no host` };
  if (portText === undefined) {
    if (defaultPort === undefined) return { problem: `'${authority}' has no port; write ${authority}:PORT` };
    return { host, port: defaultPort };
  }
  const port = parsePort(portText);
  if (port === null) return { problem: `'${authority}' has port '${portText}': a port is 1-65535, decimal, without sign or leading zero` };
  return { host, port };
}
