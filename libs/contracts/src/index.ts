export * from './topics';
export * from './envelope/event-envelope';
export * from './chat-message-recorded/chat-message-recorded.event';
export * from './tokens-adjusted/tokens-adjusted.event';
export * from './time/rfc3339';
export * from './ids/uuid-v7';
export * from './decode/decode-token-event';
