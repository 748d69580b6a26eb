/**
 * What the consumers of one event type and version know about it: how to validate its `data`, what to
 * check beyond the schema, and its canonical form. One contract per (type, version); a new version is a
 * new contract, never a silent reinterpretation of an old one.
 */
export interface EventContract<TType extends string = string, TData = unknown, TDecoded = TData> {
  type: TType;
  version: number;
  /** class-validator schema of `data`; unknown fields are rejected (contract drift shows up as dead letters). */
  schema: new () => object;
  /** Nested objects of `data` validated with their own schema, e.g. `{ usage: TokenUsageDto }`. */
  nested?: Readonly<Record<string, new () => object>>;
  /** Cross-field and text-safety checks run once the schema passed; each problem names its field (`data.x: …`). */
  check?(data: TData): string[];
  /**
   * The canonical form every consumer stores: lower-case ids, upper-case `T`/`Z`, explicit nulls. Older
   * versions normalise into the newest version's shape (fields they lack get their neutral value), so
   * consumers handle one shape per type.
   */
  normalise(data: TData): TDecoded;
}

export function defineContract<TType extends string, TData, TDecoded = TData>(
  contract: EventContract<TType, TData, TDecoded>,
): EventContract<TType, TData, TDecoded> {
  return contract;
}
