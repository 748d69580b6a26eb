import { CreateOutboxSchema1764200000000 } from './migrations/1764200000000-create-outbox-schema';
import { OutboxSkipAndPerUserHoldBack1764400000000 } from './migrations/1764400000000-outbox-skip-and-per-user-hold-back';
import { OutboxUserSequences1764600000000 } from './migrations/1764600000000-outbox-user-sequences';
import { OutboxEraseOnPublish1766100000001 } from './migrations/1766100000001-outbox-erase-on-publish';
import { OutboxNotifyChannelPerSchema1766200000000 } from './migrations/1766200000000-outbox-notify-channel-per-schema';
import { OutboxLeanerIndexes1766300000000 } from './migrations/1766300000000-outbox-leaner-indexes';

/** Ordered list of the outbox schema's migrations; whoever hosts the outbox (gateway, outbox-relay) runs them. */
export const OUTBOX_MIGRATIONS = [
  CreateOutboxSchema1764200000000,
  OutboxSkipAndPerUserHoldBack1764400000000,
  OutboxUserSequences1764600000000,
  OutboxEraseOnPublish1766100000001,
  OutboxNotifyChannelPerSchema1766200000000,
  OutboxLeanerIndexes1766300000000,
];
