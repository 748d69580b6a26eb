import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderBlockingOthers } from './embedded-postgres-server';

describe('folderBlockingOthers (the embedded PostgreSQL as root runs as another user)', () => {
  it('names the first folder on the way that others cannot enter (mktemp -d makes 0700 folders)', () => {
    const root = mkdtempSync(join(tmpdir(), 'pg-reach-'));
    chmodSync(root, 0o700);
    mkdirSync(join(root, 'inner'));
    chmodSync(join(root, 'inner'), 0o755);
    expect(folderBlockingOthers(join(root, 'inner', 'pg'))).toBe(root);
    chmodSync(root, 0o711);
    expect(folderBlockingOthers(join(root, 'inner', 'pg'))).toBeUndefined();
    chmodSync(join(root, 'inner'), 0o750);
    expect(folderBlockingOthers(join(root, 'inner', 'pg'))).toBe(join(root, 'inner'));
  });

  it('leaves the data folder itself alone: PostgreSQL keeps it 0700, and a second start must not refuse it', () => {
    const root = mkdtempSync(join(tmpdir(), 'pg-reach-'));
    chmodSync(root, 0o755);
    mkdirSync(join(root, 'pg'));
    chmodSync(join(root, 'pg'), 0o700);
    expect(folderBlockingOthers(join(root, 'pg'))).toBeUndefined();
  });
});
