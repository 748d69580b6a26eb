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

/**
 * Kafka error types that are about the record (or what it may be written to) rather than about the broker
 * being reachable: sending the same record again cannot succeed until someone changes the record or the
 * topic. Everything else a produce can fail with (connections, timeouts, leaders moving, unknown partitions
 * while a topic is being created, coordinator loads) is the broker's problem.
 */
const RECORD_ERROR_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'INVALID_REQUIRED_ACKS',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);

/** True when a produce failed because of the records themselves (see RECORD_ERROR_TYPES). */
export function isRecordError(error: unknown): boolean {
  for (const e of [error, originalCause(error)] as Array<{ type?: unknown; errors?: unknown[] } | undefined>) {
    if (!e || typeof e !== 'object') continue;
    if (typeof e.type === 'string' && RECORD_ERROR_TYPES.has(e.type)) return true;
    if (Array.isArray(e.errors) && e.errors.some(isRecordError)) return true;
  }
  return false;
}
