// A consumer's workflows, as the package's README shows them.
import { sandboxSession } from 'temporal-sandbox/workflow';

export async function consumerBuild(): Promise<{ hello: string; refused: string[] }> {
  const session = sandboxSession({
    networkMode: 'allowlist',
    networkAllowlist: ['@pypi'],
    networkDenylist: ['@cloud-metadata'],
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 1 },
  });
  const hello = await session.run(['echo', 'hello from the package'], { networkMode: 'blocked' });
  // Refused by the proxies (not on the allowlist): a record for the audit.
  const probe = await session.run('curl -s -o /dev/null http://example.com/', { allowFailure: true });
  return { hello: hello.stdout.trim(), refused: probe.denied.map((d) => `${d.host}:${d.port} ${d.reason}`) };
}
