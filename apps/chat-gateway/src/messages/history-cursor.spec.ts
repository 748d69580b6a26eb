import { decodeHistoryCursor, encodeHistoryCursor } from './history-cursor';

describe('history cursor', () => {
  it('round-trips a position', () => {
    const position = { createdAt: '2026-11-23T10:00:00.123456Z', id: '01a20848-11e1-71ab-bcff-08cc991dc7a0' };
    expect(decodeHistoryCursor(encodeHistoryCursor(position))).toEqual(position);
  });

  it.each([
    '',
    'not base64!',
    Buffer.from('{}').toString('base64url'),
    Buffer.from('["2026-11-23", "x"]').toString('base64url'),
    Buffer.from(`["2026-11-23T10:00:00.123456Z", "1' OR 1=1"]`).toString('base64url'),
  ])('rejects %p', (cursor) => {
    expect(() => decodeHistoryCursor(cursor)).toThrow('cursor');
  });
});
