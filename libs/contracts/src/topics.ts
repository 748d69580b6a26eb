/** Default topic for every token event; the name is configurable per deployment (KAFKA_TOPIC). */
export const DEFAULT_TOKEN_EVENTS_TOPIC = 'token-events';

/** Kafka headers repeat the envelope's id and type so tools can route without parsing the value. */
export const EventHeaders = {
  eventId: 'event-id',
  eventType: 'event-type',
  contentType: 'content-type',
  traceparent: 'traceparent',
  /** The envelope's user_seq, repeated for tools that route without parsing. */
  userSeq: 'user-seq',
} as const;

export const EVENT_CONTENT_TYPE = 'application/json';

/** Largest absolute token delta one event may carry; anything larger is treated as corrupt input. */
export const MAX_ABS_TOKENS_DELTA = 1_000_000_000;
