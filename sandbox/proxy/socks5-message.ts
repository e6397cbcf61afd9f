// The SOCKS5 wire format (RFC 1928, and RFC 1929's user/password), as pure functions over a
// buffer, in the manner of dns/message.ts: each parser says whether a message is complete, what
// it holds, and what follows it. No socket, no decision, no record: socks5-proxy.ts does those.

/** Reply codes (RFC 1928 section 6). */
export const REP = {
  ok: 0x00,
  failure: 0x01,
  notAllowed: 0x02,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

export const CMD_CONNECT = 0x01;
export const METHOD_NONE = 0x00;
export const METHOD_USER_PASSWORD = 0x02;
const VERSION = 0x05;
const AUTH_VERSION = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

/** More bytes are needed; or the bytes are not this protocol (SOCKS4, HTTP, TLS...). */
type Incomplete = { kind: 'incomplete' };
type Foreign = { kind: 'foreign' };

export type Greeting = Incomplete | Foreign | { kind: 'greeting'; methods: Uint8Array; rest: Buffer };

/** VER NMETHODS METHODS... */
export function parseGreeting(buf: Buffer): Greeting {
  if (buf.length < 1) return { kind: 'incomplete' };
  if (buf[0] !== VERSION) return { kind: 'foreign' };
  if (buf.length < 2 || buf.length < 2 + buf[1]) return { kind: 'incomplete' };
  return { kind: 'greeting', methods: buf.subarray(2, 2 + buf[1]), rest: buf.subarray(2 + buf[1]) };
}

export type Auth = Incomplete | Foreign | { kind: 'auth'; user: string; password: string; rest: Buffer };

/** RFC 1929: VER ULEN UNAME PLEN PASSWD. */
export function parseAuth(buf: Buffer): Auth {
  if (buf.length < 1) return { kind: 'incomplete' };
  if (buf[0] !== AUTH_VERSION) return { kind: 'foreign' };
  if (buf.length < 2) return { kind: 'incomplete' };
  const ulen = buf[1];
  if (buf.length < 3 + ulen) return { kind: 'incomplete' };
  const plen = buf[2 + ulen];
  if (buf.length < 3 + ulen + plen) return { kind: 'incomplete' };
  return {
    kind: 'auth',
    user: buf.toString('utf8', 2, 2 + ulen),
    password: buf.toString('utf8', 3 + ulen, 3 + ulen + plen),
    rest: buf.subarray(3 + ulen + plen),
  };
}

export type Request =
  | Incomplete
  | Foreign
  /** An address type RFC 1928 does not define: nothing after it can be read. */
  | { kind: 'unknown-address-type'; atyp: number }
  /** `host` is raw: canonicalizeHost decides what it means. `rest`: what the client sent early. */
  | { kind: 'request'; cmd: number; host: string; port: number; rest: Buffer };

/** VER CMD RSV ATYP DST.ADDR DST.PORT */
export function parseRequest(buf: Buffer): Request {
  if (buf.length < 1) return { kind: 'incomplete' };
  if (buf[0] !== VERSION) return { kind: 'foreign' };
  if (buf.length < 4) return { kind: 'incomplete' };
  const atyp = buf[3];
  let host: string;
  let end: number;
  if (atyp === ATYP_IPV4) {
    end = 4 + 4;
    if (buf.length < end + 2) return { kind: 'incomplete' };
    host = `${buf[4]}.${buf[5]}.${buf[6]}.${buf[7]}`;
  } else if (atyp === ATYP_IPV6) {
    end = 4 + 16;
    if (buf.length < end + 2) return { kind: 'incomplete' };
    const groups: string[] = [];
    for (let i = 4; i < end; i += 2) groups.push(buf.readUInt16BE(i).toString(16));
    host = groups.join(':');
  } else if (atyp === ATYP_DOMAIN) {
    if (buf.length < 5) return { kind: 'incomplete' };
    end = 5 + buf[4];
    if (buf.length < end + 2) return { kind: 'incomplete' };
    // latin1 keeps every byte as one character, so NUL and control bytes reach the canonicalizer
    // as themselves and are refused there.
    host = buf.toString('latin1', 5, end);
  } else {
    return { kind: 'unknown-address-type', atyp };
  }
  return { kind: 'request', cmd: buf[1], host, port: buf.readUInt16BE(end), rest: buf.subarray(end + 2) };
}

/** The server's choice of method; 0xff: none of the client's is acceptable. */
export function methodSelection(method: number): Buffer {
  return Buffer.from([VERSION, method]);
}

/** RFC 1929's answer: 0 success, anything else failure (the connection then closes). */
export function authStatus(ok: boolean): Buffer {
  return Buffer.from([AUTH_VERSION, ok ? 0x00 : 0x01]);
}

/** A reply to a request, bound address 0.0.0.0:0 (clients use none of it). */
export function reply(code: number): Buffer {
  return Buffer.from([VERSION, code, 0x00, ATYP_IPV4, 0, 0, 0, 0, 0, 0]);
}
