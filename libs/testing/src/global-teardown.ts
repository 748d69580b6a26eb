export default async function globalTeardown(): Promise<void> {
  await globalThis.__CHAT_LEDGER_PG__?.stop();
}
