// `temporal-sandbox audit WORKFLOW_ID | --history FILE`: every sandboxed run of a workflow and
// what the sandbox refused, read back from its history. Loaded only for this subcommand.
import { parseArgs } from 'node:util';
import type { HistoryLike, PendingActivity } from '../audit/history';
import { historyWorkflowId } from '../audit/history';
import { AuditInputError, fetchHistory, readHistoryFile } from '../audit/read';
import { auditHistory, type AuditReport } from '../audit/report';
import { formatAudit } from './audit-format';
import { EXIT_USAGE } from './exit';
import { describeLearned, learnedFrom } from './suggestion';

export const AUDIT_USAGE = `usage: temporal-sandbox audit WORKFLOW_ID [--history FILE] [--json] [--suggest-allowlist] [--address A] [--namespace N] [--run-id R]

Prints every sandboxed run of the workflow (activity, attempt, command, posture, exit, duration)
and every connection the sandbox refused (host, port, reason, rule), read from its history.

  --history FILE     read a JSON history export instead of asking the server
                     (temporal workflow show --workflow-id ID --output json > FILE)
  --json             print the report as JSON
  --suggest-allowlist  print instead the smallest allowlist that would have allowed what the
                     recorded runs did (and what they were refused only for want of an entry)
  --address A        default $TEMPORAL_ADDRESS or localhost:7233
  --namespace N      default $TEMPORAL_NAMESPACE or default
  --run-id R         a specific run (default: the latest)

Exit status 0; 125 with a one-line message when the workflow or the file cannot be read.`;

export async function audit(argv: readonly string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        history: { type: 'string' },
        json: { type: 'boolean' },
        'suggest-allowlist': { type: 'boolean' },
        address: { type: 'string' },
        namespace: { type: 'string' },
        'run-id': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return fail(`${(err as Error).message.split('\n')[0]} (see temporal-sandbox audit --help)`);
  }
  if (values.help) {
    process.stdout.write(`${AUDIT_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) return fail(`one WORKFLOW_ID please, not ${positionals.length} (see temporal-sandbox audit --help)`);
  const workflowId = positionals[0];
  if (!workflowId && !values.history) return fail('name the workflow: temporal-sandbox audit WORKFLOW_ID (or give --history FILE)');

  try {
    let history: HistoryLike;
    let pending: PendingActivity[] = [];
    if (values.history) {
      history = readHistoryFile(values.history);
      const recorded = historyWorkflowId(history);
      if (workflowId && recorded && recorded !== workflowId) {
        return fail(`${values.history} holds the history of workflow ${recorded}, not ${workflowId}`);
      }
    } else {
      ({ history, pending } = await fetchHistory({
        workflowId: workflowId!,
        runId: values['run-id'],
        address: values.address ?? process.env.TEMPORAL_ADDRESS ?? 'localhost:7233',
        namespace: values.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default',
      }));
    }
    const report = auditHistory(history, workflowId ?? historyWorkflowId(history), pending);
    if (values['suggest-allowlist']) printSuggestion(report, values.json ?? false);
    else process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatAudit(report));
    return 0;
  } catch (err) {
    if (err instanceof AuditInputError) return fail(err.message);
    throw err;
  }
}

/** From every recorded run: the allowlist as flags (stdout), the notes as comments. */
function printSuggestion(report: AuditReport, json: boolean): void {
  const learned = learnedFrom(report.runs.flatMap((r) => r.allowed), report.runs.flatMap((r) => r.denied));
  if (json) {
    process.stdout.write(`${JSON.stringify(learned, null, 2)}\n`);
    return;
  }
  const { flags, notes } = describeLearned(learned);
  const made = report.runs.reduce((n, r) => n + r.allowed.length, 0);
  process.stdout.write(`# from ${report.runs.length} recorded run${report.runs.length === 1 ? '' : 's'}, ${made} allowed connection${made === 1 ? '' : 's'}\n`);
  if (flags) process.stdout.write(`${flags}\n`);
  for (const n of notes) process.stdout.write(`# ${n}\n`);
}

function fail(message: string): number {
  process.stderr.write(`temporal-sandbox audit: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return EXIT_USAGE;
}
