import { KafkaJSConnectionError, KafkaJSGroupCoordinatorNotFound, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { isRecordError, isTransientKafkaError } from './kafka-errors';

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

describe('isRecordError', () => {
  it('is true for errors about the record or the topic it goes to', () => {
    expect(isRecordError(protocol('MESSAGE_TOO_LARGE', 10, false))).toBe(true);
    expect(isRecordError(protocol('INVALID_RECORD', 87, false))).toBe(true);
    expect(isRecordError(protocol('TOPIC_AUTHORIZATION_FAILED', 29, false))).toBe(true);
    expect(isRecordError(new KafkaJSNumberOfRetriesExceeded(protocol('CORRUPT_MESSAGE', 2, true), { retryCount: 2, retryTime: 100 }))).toBe(true);
  });

  it('is false for a broker that is away, slow or moving', () => {
    expect(isRecordError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'))).toBe(false);
    expect(isRecordError(protocol('NOT_LEADER_OR_FOLLOWER', 6, true))).toBe(false);
    expect(isRecordError(protocol('UNKNOWN_TOPIC_OR_PARTITION', 3, true))).toBe(false);
    expect(isRecordError(new Error('kafka send timed out after 10000 ms'))).toBe(false);
  });
});
