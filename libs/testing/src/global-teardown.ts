export default async function globalTeardown(): Promise<void> {
  await Promise.all([globalThis.__CHAT_LEDGER_KAFKA__?.stop(), globalThis.__CHAT_LEDGER_PG__?.stop()]);
}
