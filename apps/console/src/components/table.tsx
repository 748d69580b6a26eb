import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';

export interface Column<Row> {
  key: string;
  label: string;
  /** The value sorted by (numbers sort as numbers; null and undefined last). */
  value: (row: Row) => string | number | null | undefined;
  /** What the cell shows (default: the value). */
  render?: (row: Row) => ComponentChildren;
  numeric?: boolean;
  /** Shown in the footer row (totals). */
  footer?: ComponentChildren;
}

type Direction = 'ascending' | 'descending';

/**
 * A table whose column headers are buttons that sort it (aria-sort tells screen readers the order); the footer
 * carries totals when the columns give one.
 */
export function SortableTable<Row>({
  caption,
  columns,
  rows,
  rowKey,
  initialSort,
  testId,
}: {
  caption: string;
  columns: Array<Column<Row>>;
  rows: Row[];
  rowKey: (row: Row) => string;
  initialSort?: { key: string; direction: Direction };
  testId?: string;
}) {
  const [sort, setSort] = useState<{ key: string; direction: Direction } | undefined>(initialSort);
  const sorted = useMemo(() => {
    const column = sort && columns.find((c) => c.key === sort.key);
    if (!column || !sort) return rows;
    const factor = sort.direction === 'ascending' ? 1 : -1;
    return [...rows].sort((a, b) => {
      const x = column.value(a);
      const y = column.value(b);
      if (x === y) return 0;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * factor;
    });
  }, [rows, columns, sort]);
  const hasFooter = columns.some((c) => c.footer !== undefined);

  const toggle = (column: Column<Row>) =>
    setSort((current) =>
      current?.key === column.key
        ? { key: column.key, direction: current.direction === 'ascending' ? 'descending' : 'ascending' }
        : { key: column.key, direction: column.numeric ? 'descending' : 'ascending' },
    );

  return (
    <div class="table-wrap">
      <table data-testid={testId}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => {
              const active = sort?.key === column.key;
              return (
                <th key={column.key} scope="col" class={column.numeric ? 'num' : undefined} aria-sort={active ? sort!.direction : 'none'}>
                  <button type="button" class="sort" onClick={() => toggle(column)} data-column={column.key}>
                    {column.label}
                    <span class="sort-mark" aria-hidden="true">
                      {active ? (sort!.direction === 'ascending' ? '▲' : '▼') : '↕'}
                    </span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((column, i) => {
                const content = column.render ? column.render(row) : column.value(row);
                return i === 0 ? (
                  <th key={column.key} scope="row" class={column.numeric ? 'num' : undefined}>
                    {content}
                  </th>
                ) : (
                  <td key={column.key} class={column.numeric ? 'num' : undefined} data-column={column.key}>
                    {content}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
        {hasFooter && (
          <tfoot>
            <tr>
              {columns.map((column, i) =>
                i === 0 ? (
                  <th key={column.key} scope="row">
                    {column.footer ?? 'Total'}
                  </th>
                ) : (
                  <td key={column.key} class={column.numeric ? 'num' : undefined} data-column={column.key}>
                    {column.footer}
                  </td>
                ),
              )}
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}
