/**
 * Advisory lock (pg_advisory_xact_lock) between journal folding and the apply transactions: each batch holds it
 * shared, a fold batch exclusively. Without it a redelivered event could be inserted again in the moment its
 * entry moves from the journal to ledger.folded_events (the insert's unique check no longer sees the deleted
 * entry, its snapshot does not see the folded id yet) and be counted twice.
 */
export const JOURNAL_FOLD_LOCK = 0x6c666f6c; // 'lfol'
