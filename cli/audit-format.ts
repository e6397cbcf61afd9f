// The audit as a table, for a terminal.
import { RUN_ACTIVITY } from '../common/request';
import type { AuditReport, AuditRun } from '../audit/report';
import type { AuditSession } from '../audit/sessions';

/** The command as one readable line; when too long, its longest argument (a script) is cut first. */
function displayCommand(argv: readonly string[], max = 100): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const parts = argv.map((a) => a.replace(/\s*\n\s*/g, '; '));
  const length = () => parts.reduce((n, p) => n + quote(p).length + 1, -1);
  const longest = parts.reduce((best, p, i) => (p.length > parts[best].length ? i : best), 0);
  const excess = length() - max;
  if (excess > 0 && parts.length > 0) parts[longest] = `${parts[longest].slice(0, Math.max(12, parts[longest].length - excess - 1))}…`;
  const text = parts.map(quote).join(' ');
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function exitText(r: AuditRun): string {
  if (r.termination === 'timeout') return 'timeout';
  if (r.signal) return r.signal;
  if (r.exitCode !== null) return String(r.exitCode);
  return '-';
}

function outcomeText(r: AuditRun): string {
  if (r.outcome === 'failed' || r.outcome === 'timed-out') return r.failureType ?? r.outcome;
  if (r.outcome === 'running' && r.progress) return `running (${Math.round(r.progress.elapsedMs / 1000)} s)`;
  return r.outcome;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A session as the runs table shows it: the first 8 characters of its id. */
const shortId = (id: string) => id.slice(0, 8);

function sessionLine(s: AuditSession): string {
  const files = (op: 'put' | 'get') =>
    s.files.filter((f) => f.op === op).map((f) => `${f.path}${f.ok === false ? ' (refused)' : f.bytes === null ? '' : ` (${f.bytes} B)`}`);
  const put = files('put');
  const got = files('get');
  return [
    `session ${shortId(s.sessionId)} on ${s.worker}: ${s.runs} run${s.runs === 1 ? '' : 's'}`,
    put.length > 0 ? `put ${put.join(', ')}` : null,
    got.length > 0 ? `got ${got.join(', ')}` : null,
    s.closed ? 'closed' : 'not closed (lost, or still open)',
  ].filter(Boolean).join('; ');
}

export function formatAudit(report: AuditReport): string {
  const title = report.workflowId ? `workflow ${report.workflowId}` : 'workflow';
  if (report.runs.length === 0) return `${title}: no sandboxed runs (${RUN_ACTIVITY}) in its history\n`;
  const inSessions = report.runs.some((r) => r.session !== null);
  const runs = table(
    ['ACTIVITY', 'ATTEMPT', ...(inSessions ? ['SESSION'] : []), 'OUTCOME', 'POSTURE', 'EXIT', 'DURATION', 'REFUSED', 'COMMAND'],
    report.runs.map((r) => [
      r.activityId,
      String(r.attempt),
      ...(inSessions ? [r.session === null ? '-' : shortId(r.session)] : []),
      outcomeText(r),
      r.posture,
      exitText(r),
      r.durationMs === null ? '-' : `${Math.round(r.durationMs)} ms`,
      String(r.denied.length),
      displayCommand(r.command),
    ]),
  );
  const out = [`${title}: ${report.runs.length} sandboxed run${report.runs.length === 1 ? '' : 's'}`, runs, ''];
  if (report.sessions.length > 0) out.push(...report.sessions.map(sessionLine), '');
  if (report.refused.length === 0) {
    out.push('refused connections: none');
  } else {
    out.push(`refused connections: ${report.refused.length}`);
    out.push(
      table(
        ['ACTIVITY', 'ATTEMPT', 'HOST', 'PORT', 'REASON', 'RULE', 'PROXY', 'ADDRESS'],
        report.refused.map((d) => [
          d.activityId,
          String(d.attempt),
          JSON.stringify(d.host).slice(1, -1),
          String(d.port),
          d.reason ?? '-',
          d.rule ?? '-',
          d.proxy,
          d.address ?? '-',
        ]),
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
