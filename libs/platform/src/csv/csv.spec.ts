import { csvCell, toCsv, wantsCsv } from './csv';

describe('CSV export', () => {
  it('flattens nested objects into columns and quotes what needs quoting', () => {
    expect(toCsv([{ model: 'gpt-4o', usage: { prompt_tokens: 3, total_tokens: 5 }, note: 'a, "b"' }])).toBe(
      'model,usage_prompt_tokens,usage_total_tokens,note\r\ngpt-4o,3,5,"a, ""b"""\r\n',
    );
    expect(csvCell(null)).toBe('');
    expect(csvCell(-12)).toBe('-12');
  });

  it('never lets a cell run as a spreadsheet formula', () => {
    for (const evil of ['=HYPERLINK("x")', '+1', '-2+3', '@SUM(A1)', '\tx']) expect(csvCell(evil).startsWith("'") || csvCell(evil).startsWith(`"'`)).toBe(true);
  });

  it('answers CSV only when the client prefers it', () => {
    expect(wantsCsv('text/csv')).toBe(true);
    expect(wantsCsv('text/csv, application/json;q=0.5')).toBe(true);
    expect(wantsCsv('application/json, text/csv')).toBe(false);
    expect(wantsCsv('*/*')).toBe(false);
    expect(wantsCsv(undefined)).toBe(false);
    expect(wantsCsv('text/csv;q=0')).toBe(false);
  });
});
