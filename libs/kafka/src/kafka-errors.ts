/**
 * kafkajs errors that say "the cluster is not reachable right now" rather than "this request can never
 * succeed": lost connections, timeouts, a coordinator or leader that moved or is still loading, and retry
 * budgets exhausted on such errors. kafkajs marks some of them non-retriable (a coordinator not found
 * after its retries, a lock timeout), which would stop a consumer for good during a broker restart; the
 * apps retry these themselves, with backoff, for as long as the outage lasts.
 */
const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
  'TimeoutError',
]);

interface KafkaJsLikeError {
  name?: string;
  retriable?: boolean;
  originalError?: unknown;
  cause?: unknown;
  errors?: unknown[];
}

/** The innermost cause kafkajs wrapped (retries-exceeded errors keep the last one as originalError). */
export function originalCause(error: unknown): unknown {
  let current = error as KafkaJsLikeError | undefined;
  for (let depth = 0; depth < 10 && current && typeof current === 'object'; depth++) {
    const next = current.originalError ?? current.cause;
    if (!next || typeof next !== 'object') break;
    current = next as KafkaJsLikeError;
  }
  return current;
}

export function isTransientKafkaError(error: unknown): boolean {
  for (const e of [error, originalCause(error)] as KafkaJsLikeError[]) {
    if (!e || typeof e !== 'object') continue;
    if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
    // Protocol errors kafkajs itself would retry: NOT_LEADER, COORDINATOR_LOAD_IN_PROGRESS, REQUEST_TIMED_OUT, …
    if (e.name === 'KafkaJSProtocolError' && e.retriable === true) return true;
    if (e.name === 'KafkaJSAggregateError' && Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(isTransientKafkaError)) return true;
  }
  return false;
}
