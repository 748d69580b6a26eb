// One port picker for the broker, the tests, the chaos run and the bench (below the ephemeral range).
export { findFreePort } from '@chat-ledger/kafka-broker';
