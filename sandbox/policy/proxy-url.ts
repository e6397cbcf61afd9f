// A bring-your-own proxy URL (docs/policy.md, "Bring your own proxy"): one scheme, a host, no path.
import { SandboxPolicyError } from '../errors';
import { printable } from '../vocabulary';

export function checkProxyUrl(value: unknown, setting: string, scheme: 'http:' | 'socks5h:'): void {
  const example = scheme === 'http:' ? 'http://proxy.example:3128' : 'socks5h://proxy.example:1080';
  const fail = (why: string): never => {
    throw new SandboxPolicyError(`${setting} '${printable(String(value))}' ${why}: write a URL such as '${example}'`, { entry: String(value) });
  };
  if (typeof value !== 'string') return fail('is not a string');
  if (/[\u0000-\u0020\u007f-\u009f]/.test(value)) fail('contains white space or a control character');
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return fail('is not a URL');
  }
  if (u.protocol !== scheme) fail(`has scheme '${u.protocol}', not '${scheme}//'`);
  if (u.hostname === '') fail('has no host');
  if (scheme === 'socks5h:' && u.port === '') fail('has no port');
  if ((u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '') fail('has a path, query or fragment');
}
