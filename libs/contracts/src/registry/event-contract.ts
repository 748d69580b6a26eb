/**
 * What the consumers of one event type and version know about it: how to validate its `data`, what to
 * check beyond the schema, and its canonical form. One contract per (type, version); a new version is a
 * new contract, never a silent reinterpretation of an old one.
 */
export interface EventContract<TType extends string = string, TData = unknown> {
  type: TType;
  version: number;
  /** class-validator schema of `data`; unknown fields are rejected (contract drift shows up as dead letters). */
  schema: new () => object;
  /** Nested objects of `data` validated with their own schema, e.g. `{ usage: TokenUsageDto }`. */
  nested?: Readonly<Record<string, new () => object>>;
  /** Cross-field and text-safety checks run once the schema passed; each problem names its field (`data.x: …`). */
  check?(data: TData): string[];
  /** The canonical form every consumer stores: lower-case ids, upper-case `T`/`Z`, explicit nulls. */
  normalise(data: TData): TData;
}

export function defineContract<TType extends string, TData>(contract: EventContract<TType, TData>): EventContract<TType, TData> {
  return contract;
}
