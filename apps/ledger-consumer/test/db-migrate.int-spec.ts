import { PendingMigrationsError } from '@chat-ledger/database';
import { createTestDatabase } from '@chat-ledger/testing';
import { startLedger } from './ledger-test-app';

describe('ledger-consumer with DB_MIGRATE=false', () => {
  it('refuses to start while its migrations are pending, and says how to apply them', async () => {
    const start = startLedger({ databaseUrl: await createTestDatabase('ledger_nomigrate'), env: { DB_MIGRATE: 'false' } });
    await expect(start).rejects.toThrow(PendingMigrationsError);
    await expect(start).rejects.toThrow(/^ledger-consumer cannot start: DB_MIGRATE=false and the database has pending migrations \(ledger: \S+/);
  });
});
