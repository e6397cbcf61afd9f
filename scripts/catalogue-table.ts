// Prints the bypass catalogue (test/hardening/catalogue.ts) as the markdown table of
// docs/catalogue.md. `node dist/scripts/catalogue-table.js`; a test keeps that page equal to it.
import { CATALOGUE, entryPointsOf, expectedText } from '../test/hardening/catalogue';

/** Table cells stay one line and never break the table: control characters escaped, pipes too. */
function cell(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u3002\uff00-\uffef\u0400-\u04ff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\|/g, '\\|');
}

export function catalogueTable(): string {
  const rows = CATALOGUE.map((c) => `| \`${c.id}\` | ${cell(c.title)} | ${entryPointsOf(c).join(', ')} | ${cell(expectedText(c))} |`);
  return ['| Case | What | Entry points | Expected |', '| --- | --- | --- | --- |', ...rows, ''].join('\n');
}

if (require.main === module) process.stdout.write(catalogueTable());
