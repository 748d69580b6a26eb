import { KafkaJSConnectionError, KafkaJSGroupCoordinatorNotFound, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { isTransientKafkaError } from './kafka-errors';

const protocol = (type: string, code: number, retriable: boolean) => new KafkaJSProtocolError({ message: type, type, code, retriable } as never);

describe('isTransientKafkaError', () => {
  it('counts lost connections, a coordinator not found and exhausted retries over them as transient', () => {
    expect(isTransientKafkaError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'))).toBe(true);
    expect(isTransientKafkaError(new (KafkaJSGroupCoordinatorNotFound as new (message: string) => Error)('Failed to find group coordinator'))).toBe(true);
    expect(isTransientKafkaError(new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('gone'), { retryCount: 5, retryTime: 100 }))).toBe(true);
    expect(isTransientKafkaError(protocol('COORDINATOR_LOAD_IN_PROGRESS', 14, true))).toBe(true);
  });

  it('counts errors about the request itself as permanent', () => {
    expect(isTransientKafkaError(protocol('INVALID_SESSION_TIMEOUT', 26, false))).toBe(false);
    expect(isTransientKafkaError(protocol('GROUP_AUTHORIZATION_FAILED', 30, false))).toBe(false);
    expect(isTransientKafkaError(protocol('MESSAGE_TOO_LARGE', 10, false))).toBe(false);
    expect(isTransientKafkaError(new Error('boom'))).toBe(false);
    expect(isTransientKafkaError(undefined)).toBe(false);
  });
});
