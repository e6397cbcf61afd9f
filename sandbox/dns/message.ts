// DNS messages as the stub DNS reads and writes them (RFC 1035, section 4): one question in,
// an answer built from it out. Nothing here resolves anything. Strict on input: a question the
// stub cannot read exactly gets FORMERR, never a guess.

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const CLASS_IN = 1;

export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5 } as const;
export type Rcode = (typeof RCODE)[keyof typeof RCODE];

export type Question = {
  id: number;
  /** The RD bit of the query, echoed. */
  recursionDesired: boolean;
  /** The name as asked: labels joined by dots, lowercased, no trailing dot ('' for the root). */
  name: string;
  type: number;
  qclass: number;
  /** The question section exactly as it came (echoed in the answer). */
  raw: Buffer;
};

export type ParsedQuery =
  | { ok: true; question: Question }
  /** Unreadable or unsupported: answer with this code (id 0 when even the header was short). */
  | { ok: false; id: number; rcode: Rcode; why: string };

const HEADER = 12;

export function parseQuery(msg: Buffer): ParsedQuery {
  if (msg.length < HEADER) return { ok: false, id: 0, rcode: RCODE.formErr, why: 'shorter than a header' };
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) return { ok: false, id, rcode: RCODE.formErr, why: 'a response, not a query' };
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return { ok: false, id, rcode: RCODE.notImp, why: `opcode ${opcode}` };
  if (msg.readUInt16BE(4) !== 1) return { ok: false, id, rcode: RCODE.formErr, why: 'not exactly one question' };
  const labels: string[] = [];
  let at = HEADER;
  let nameBytes = 0;
  for (;;) {
    if (at >= msg.length) return { ok: false, id, rcode: RCODE.formErr, why: 'the name runs past the message' };
    const len = msg[at];
    if (len === 0) {
      at++;
      break;
    }
    // A pointer (compression) has no place in a question; 0x40 and 0x80 are reserved.
    if (len > 63) return { ok: false, id, rcode: RCODE.formErr, why: 'a compressed or reserved label' };
    if (at + 1 + len > msg.length) return { ok: false, id, rcode: RCODE.formErr, why: 'a label runs past the message' };
    nameBytes += len + 1;
    if (nameBytes > 254) return { ok: false, id, rcode: RCODE.formErr, why: 'a name longer than 255 bytes' };
    const label = msg.subarray(at + 1, at + 1 + len);
    // A dot inside a label would read as two labels; other odd bytes are the policy's to judge.
    if (label.includes(0x2e)) return { ok: false, id, rcode: RCODE.formErr, why: 'a dot inside a label' };
    labels.push(label.toString('latin1').toLowerCase());
    at += 1 + len;
  }
  if (at + 4 > msg.length) return { ok: false, id, rcode: RCODE.formErr, why: 'the question has no type and class' };
  const type = msg.readUInt16BE(at);
  const qclass = msg.readUInt16BE(at + 2);
  const raw = msg.subarray(HEADER, at + 4);
  return { ok: true, question: { id, recursionDesired: (flags & 0x0100) !== 0, name: labels.join('.'), type, qclass, raw } };
}

export type Answer = { type: number; ttl: number; data: Buffer };

/** The answer to `q`: authoritative, recursion "available" (the stub answers everything itself). */
export function buildResponse(q: Question | { id: number; recursionDesired?: boolean; raw?: Buffer }, rcode: Rcode, answers: readonly Answer[] = []): Buffer {
  const question = q.raw ?? Buffer.alloc(0);
  const head = Buffer.alloc(HEADER);
  head.writeUInt16BE(q.id, 0);
  head.writeUInt16BE(0x8000 | 0x0400 | (q.recursionDesired ? 0x0100 : 0) | 0x0080 | rcode, 2);
  head.writeUInt16BE(question.length > 0 ? 1 : 0, 4);
  head.writeUInt16BE(answers.length, 6);
  const parts: Buffer[] = [head, question];
  for (const a of answers) {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc000 | HEADER, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(a.type, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(a.ttl, 6);
    rr.writeUInt16BE(a.data.length, 10);
    parts.push(rr, a.data);
  }
  return Buffer.concat(parts);
}

/** 4 bytes of an IPv4 dotted quad, for an A record. */
export function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}
