/**
 * CSV as spreadsheets read it (RFC 4180: comma separated, CRLF, quotes doubled). Nested objects become
 * columns joined with `_` (usage.prompt_tokens → usage_prompt_tokens). A text cell that a spreadsheet would
 * run as a formula (starting with = + - @, tab or CR) is prefixed with a quote, so an exported user id or
 * model name can never execute in Excel; numbers are written as they are.
 */
export type CsvRow = Record<string, unknown>;

export function flattenRow(row: object, prefix = '', out: CsvRow = {}): CsvRow {
  for (const [key, value] of Object.entries(row)) {
    const name = prefix ? `${prefix}_${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flattenRow(value as CsvRow, name, out);
    else out[name] = value;
  }
  return out;
}

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  let text = Array.isArray(value) ? value.join(' ') : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** Header and rows; the columns are those of the first row (every row of one endpoint has the same shape). */
export function toCsv(rows: CsvRow[], columns?: string[]): string {
  const flat = rows.map((r) => flattenRow(r));
  const header = columns ?? (flat[0] ? Object.keys(flat[0]) : []);
  return csvLine(header) + flat.map((r) => csvLine(header.map((c) => r[c]))).join('');
}

/** Whether the client asked for CSV (Accept: text/csv before or instead of JSON). */
export function wantsCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept
    .split(',')
    .map((part) => {
      const [type, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { type: type!.trim(), q: q ? Number(q.slice(2)) : 1 };
    })
    .filter((t) => t.q > 0)
    .sort((a, b) => b.q - a.q);
  const csv = types.findIndex((t) => t.type === 'text/csv');
  const json = types.findIndex((t) => t.type === 'application/json' || t.type === '*/*' || t.type === 'application/*');
  return csv >= 0 && (json < 0 || csv <= json);
}
