// Named defaults of the log engine, in one place (docs/configuration.md lists them).

/** A batch is sequenced as soon as it holds this many entries... */
export const DEFAULT_BATCH_MAX_SIZE = 256;
/** ...or when its oldest entry has waited this long. */
export const DEFAULT_BATCH_MAX_AGE_MS = 20;
/** Entries waiting beyond this are refused with PUSHBACK instead of queueing without bound. */
export const DEFAULT_MAX_PENDING = 4096;
/** Seconds a client is told to wait after PUSHBACK. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;
/** The largest entry body: entry bundles store lengths as uint16. */
export const MAX_ENTRY_SIZE = 0xffff;
