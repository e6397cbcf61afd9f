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

/** `host:port`, `[v6]:port`, `[v6]` or `host` (the last two need defaultPort). */
export function splitHostPort(authority: string, defaultPort?: number): { host: string; port: number } | HostProblem {
  if (typeof authority !== 'string' || authority === '') return { problem: 'the authority is empty' };
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return { problem: `'${authority}' opens a bracket it does not close` };
    host = authority.slice(1, close);
    const rest = authority.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return { problem: `'${authority}' has '${rest}' after the bracketed address; write [address]:port` };
      portText = rest.slice(1);
    }
  } else {
    const colons = authority.split(':').length - 1;
    if (colons > 1) return { problem: `'${authority}' looks like an IPv6 address without brackets; write [address]:port` };
    if (colons === 1) {
      const at = authority.indexOf(':');
      host = authority.slice(0, at);
      portText = authority.slice(at + 1);
    } else {
      host = authority;
    }
  }
  if (host === '') return { problem: `'${authority}' has no host` };
  if (portText === undefined) {
    if (defaultPort === undefined) return { problem: `'${authority}' has no port; write ${authority}:PORT` };
    return { host, port: defaultPort };
  }
  const port = parsePort(portText);
  if (port === null) return { problem: `'${authority}' has port '${portText}': a port is 1-65535, decimal, without sign or leading zero` };
  return { host, port };
}
